"""Deciding whether the retrieved passages answer the question at all.

The answerability score is a logistic combination of signals read from the extractive
analysis: how much of the question (weighted towards its rare words, names and numbers) the
best sentence and its context cover, how much of it occurs nowhere in the retrieved passages,
whether a span of the expected type was found, whether the phrase naming what is asked for
("the [budget] of ...") is near the chosen sentences or anywhere in the passages, and the
dense similarity of the best passage. A question in another language than the passages is
flagged, and its words are not counted as missing from them.
Weights and threshold are fitted by ``python -m evals.calibrate`` on labelled questions and
stored in ``app/calibration.toml``; the ``abstain_threshold`` setting overrides the threshold.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.extractive import Analysis
from app.extractive.question import AnswerType
from app.extractive.scoring import answer_spans, context_stems, focus_near
from app.extractive.terms import content_stems, words
from ingest.errors import SettingsError
from ingest.settings import Settings

CALIBRATION_FILE = Path(__file__).with_name("calibration.toml")
FEATURES = (
    "coverage", "own", "absent", "names_missing", "type_missing", "focus_missing",
    "key_missing", "negation", "margin", "dense", "head_absent", "head_far", "foreign",
)  # fmt: skip
_FRENCH = frozenset(
    "le la les du des est sont quel quelle quels quelles combien qui dans pour une et quand "
    "comment".split()
)
_ENGLISH = frozenset("the is are of and what which how who in for was were does did when".split())
_NEGATIONS = frozenset("not never no none nor without n't cannot ne jamais aucun sans".split())


@dataclass(frozen=True)
class Calibration:
    """Feature weights, bias and the abstention threshold fitted on labelled questions."""

    weights: dict[str, float]
    bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return cls(
                weights={name: float(data["weights"][name]) for name in FEATURES},
                bias=float(data["bias"]),
                threshold=float(data["threshold"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SettingsError(
                f"Cannot read the abstention calibration {path}: {exc}",
                "re-create it with 'python -m evals.calibrate --write'",
            ) from None


@lru_cache(maxsize=4)
def default_calibration() -> Calibration:
    return Calibration.load()


def features(analysis: Analysis) -> dict[str, float]:
    """The signals the answerability score is made of, each between 0 and 1."""
    if not analysis.scored:
        return {name: 1.0 if "missing" in name or name == "absent" else 0.0 for name in FEATURES}
    best = analysis.scored[0]
    weights = analysis.weights
    anywhere: set[str] = set()
    for unit in analysis.units:
        anywhere |= unit.stems
    for passage in analysis.passages:
        anywhere |= set(content_stems(" ".join(passage.heading_path)))
    around = best.unit.stems | context_stems(best.unit)
    names = analysis.frame.names
    chosen = analysis.chosen
    typed = any(answer_spans(analysis.frame, unit.text) for unit in chosen)
    dense = max((p.dense_score or 0.0 for p in analysis.passages), default=0.0)
    missing = [w for t, w in weights.weights.items() if t not in around]
    top = max(weights.weights.values(), default=1.0)
    focus = _focus_found(analysis) if analysis.frame.focus else 1.0
    second = analysis.scored[1].score if len(analysis.scored) > 1 else 0.0
    question_words = {w.folded for w in words(analysis.question)}
    head = set(analysis.frame.head)
    foreign = _language(analysis.question) != _language(" ".join(u.text for u in analysis.units))
    chosen_stems = set().union(*(u.stems | context_stems(u) for u in chosen)) if chosen else around
    return {
        "coverage": min(1.0, best.overlap),
        "own": min(1.0, best.own),
        "absent": 0.0 if foreign else 1.0 - weights.share(anywhere),
        "names_missing": len(names - around) / len(names) if names else 0.0,
        "type_missing": 1.0 if analysis.frame.factual and not typed else 0.0,
        "focus_missing": 1.0 - focus,
        "key_missing": 0.0 if foreign else max(missing, default=0.0) / top,
        "negation": 1.0 if question_words & _NEGATIONS else 0.0,
        "margin": min(1.0, max(0.0, best.score - second)),
        "dense": max(0.0, dense),
        "head_absent": 0.0 if foreign or not head else len(head - anywhere) / len(head),
        "head_far": 0.0 if foreign or not head else len(head - chosen_stems) / len(head),
        "foreign": 1.0 if foreign else 0.0,
    }


def _language(text: str) -> str:
    """The language ("fr" or "en") told by function words: a question in another language
    than the passages has words they cannot hold, which says nothing about the answer."""
    found = [w.folded for w in words(text)]
    french = sum(w in _FRENCH for w in found)
    english = sum(w in _ENGLISH for w in found)
    return "fr" if french > english else "en"


def _focus_found(analysis: Analysis) -> float:
    """For a number question, how much of its noun follows a number in the answer
    ("how many staff": is there a number of staff at all?)."""
    if analysis.frame.answer_type is not AnswerType.NUMBER:
        return 1.0
    return max(
        (focus_near(analysis.frame, u.text, s) for u in analysis.chosen
         for s in answer_spans(analysis.frame, u.text)),
        default=0.0,
    )  # fmt: skip


def answerability(analysis: Analysis, calibration: Calibration | None = None) -> float:
    """Probability-like score (0..1) that the passages answer the question."""
    calibration = calibration or default_calibration()
    values = features(analysis)
    z = calibration.bias + sum(calibration.weights[k] * values[k] for k in FEATURES)
    return 1.0 / (1.0 + math.exp(-z))


def threshold(settings: Settings, calibration: Calibration | None = None) -> float:
    """The threshold in force: the setting if given, else the calibrated one."""
    if settings.abstain_threshold is not None:
        return settings.abstain_threshold
    return (calibration or default_calibration()).threshold
