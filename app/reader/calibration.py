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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import SettingsError

if TYPE_CHECKING:
    from app.reader.evidence import Evidence

CALIBRATION_FILE = Path(__file__).with_name("calibration.toml")
FEATURES = ("margin", "score", "best_margin", "dense", "max_dense")
"""BM25 scores are left out on purpose: they grow with the size of the corpus, so a weight
fitted on one corpus would not carry over to another."""


@dataclass(frozen=True)
class RerankWeights:
    dense: float
    rank: float


@dataclass(frozen=True)
class RefusalModel:
    """Logistic answerability over :func:`features`, and the thresholds that refuse."""

    weights: dict[str, float]
    bias: float
    threshold_edited: float
    threshold_informal: float

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(self.weights[name] * values[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def threshold(self, informality: float) -> float:
        """The threshold for passages this informal (0: edited prose, 1: informal text)."""
        share = max(0.0, min(1.0, informality))
        return self.threshold_edited + share * (self.threshold_informal - self.threshold_edited)


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
                rerank=RerankWeights(
                    dense=float(data["rerank"]["dense"]), rank=float(data["rerank"]["rank"])
                ),
                refusal=RefusalModel(
                    weights={name: float(refusal["weights"][name]) for name in FEATURES},
                    bias=float(refusal["bias"]),
                    threshold_edited=float(refusal["threshold_edited"]),
                    threshold_informal=float(refusal["threshold_informal"]),
                ),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SettingsError(
                f"Cannot read the reader calibration {path}: {exc}",
                "re-create it with 'python -m evals.training.calibrate'",
            ) from None


@lru_cache(maxsize=4)
def default_calibration() -> Calibration:
    return Calibration.load()


def features(evidence: Evidence) -> dict[str, float]:
    """What the refusal model reads: the reader's verdict on the passage the answer would
    quote and on all passages, and how close the retriever found the passages to be."""
    best = evidence.best
    if best is None or best.reading is None:
        return {name: 0.0 for name in FEATURES} | {"margin": -20.0, "best_margin": -20.0}
    dense = [item.passage.dense_score or 0.0 for item in evidence.read]
    return {
        "margin": best.reading.margin,
        "score": best.reading.score,
        "best_margin": max(i.reading.margin for i in evidence.read if i.reading is not None),
        "dense": best.passage.dense_score or 0.0,
        "max_dense": max(dense, default=0.0),
    }
