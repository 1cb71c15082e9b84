"""The fitted numbers that turn the reader's scores into a ranking and a refusal decision.

Both are fitted on held-out training articles by ``python -m evals.training.calibrate`` and
stored in ``calibration.toml`` beside this file: how much the retriever's signals count next to
the reader's margin when ranking passages, and a logistic model over the reader's and the
retriever's scores that says how likely the passages hold the answer, with the threshold below
which citewise refuses. There is a threshold for edited prose and one for informal text (see
``app.reader.text_kind``), each chosen so that at most a set share of the answerable held-out
questions of that kind is refused.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.terms import content_stems
from ingest.errors import SettingsError

if TYPE_CHECKING:
    from app.reader.evidence import Evidence
    from retriever.passage import Passage

CALIBRATION_FILE = Path(__file__).with_name("calibration.toml")
FEATURES = (
    "margin",
    "score",
    "best_margin",
    "verdict",
    "max_verdict",
    "dense",
    "max_dense",
    "coverage",
)
"""BM25 scores are left out on purpose: they grow with the size of the corpus, so a weight
fitted on one corpus would not carry over to another; ``coverage`` (the share of the
question's content words that the quoted passage holds) is the lexical signal instead."""


@dataclass(frozen=True)
class RerankWeights:
    """How much the retriever's cosine similarity, its rank (as 1 / rank) and the verifier's
    verdict count next to the reader's span margin."""

    dense: float
    rank: float
    verdict: float


@dataclass(frozen=True)
class RefusalModel:
    """Logistic answerability over :func:`features`, and the thresholds that refuse."""

    weights: dict[str, float]
    bias: float
    threshold_edited: float
    threshold_informal: float
    llm_floor_edited: float
    llm_floor_informal: float
    """Below the thresholds, down to these floors, an LLM backend still reads the passages."""

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(self.weights[name] * values[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def threshold(self, informality: float) -> float:
        """The threshold for passages this informal (0: edited prose, 1: informal text)."""
        return _between(self.threshold_edited, self.threshold_informal, informality)

    def llm_floor(self, informality: float) -> float:
        """The bottom of the band where an LLM may still answer, for passages this informal."""
        return _between(self.llm_floor_edited, self.llm_floor_informal, informality)


def _between(edited: float, informal: float, informality: float) -> float:
    return edited + max(0.0, min(1.0, informality)) * (informal - edited)


@dataclass(frozen=True)
class Calibration:
    rerank: RerankWeights
    refusal: RefusalModel

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
            refusal = data["refusal"]
            return cls(
                rerank=RerankWeights(**{k: float(v) for k, v in data["rerank"].items()}),
                refusal=RefusalModel(
                    weights={name: float(refusal["weights"][name]) for name in FEATURES},
                    bias=float(refusal["bias"]),
                    threshold_edited=float(refusal["threshold_edited"]),
                    threshold_informal=float(refusal["threshold_informal"]),
                    llm_floor_edited=float(refusal["llm_floor_edited"]),
                    llm_floor_informal=float(refusal["llm_floor_informal"]),
                ),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SettingsError(
                f"Cannot read the reader calibration {path}: {exc}",
                "re-create it with 'python -m evals.training.calibrate'",
            ) from None


def features(evidence: Evidence) -> dict[str, float]:
    """What the refusal model reads: the span head's and the verifier's verdicts on the
    passage the answer would quote and on all passages, and how close the retriever found the
    passages to be."""
    best = evidence.best
    if best is None or best.reading is None:
        nothing = {"margin": -20.0, "best_margin": -20.0, "verdict": -20.0, "max_verdict": -20.0}
        return {name: 0.0 for name in FEATURES} | nothing
    readings = [i.reading for i in evidence.read if i.reading is not None]
    dense = [_similarity(item.passage) for item in evidence.read]
    return {
        "margin": best.reading.margin,
        "score": best.reading.score,
        "best_margin": max(r.margin for r in readings),
        "verdict": best.reading.verdict,
        "max_verdict": max(r.verdict for r in readings),
        "dense": _similarity(best.passage),
        "max_dense": max(dense, default=0.0),
        "coverage": coverage(evidence.question, best.passage.text),
    }


def _similarity(passage: Passage) -> float:
    """The passage's cosine similarity to the question (0 when unknown)."""
    if passage.similarity is not None:
        return passage.similarity
    return passage.dense_score or 0.0


def coverage(question: str, text: str) -> float:
    """The share of the question's content words (stemmed) that occur in ``text``: a passage
    on another subject that shares one word with the question ("annual") covers little."""
    asked = set(content_stems(question))
    if not asked:
        return 1.0
    return len(asked & set(content_stems(text))) / len(asked)
