"""The fitted numbers that turn the reader's scores into a ranking and a refusal decision.

Both are fitted on held-out training articles by ``python -m evals.training.calibrate`` and stored
in ``app/reader/calibration.toml`` beside the reader's weights: how much the retriever's signals
count next to the reader's margin when ranking passages, and a logistic model over the reader's and
the retriever's scores that says how likely the passages hold the answer, with the threshold below
which citewise refuses. There is a threshold for edited prose and one for informal text (see
``app.gate.text_kind``), each chosen so that at most a set share of the answerable held-out
questions of that kind is refused.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.gate.evidence import RerankWeights
from app.gate.features import FEATURES
from ingest.errors import SettingsError

CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "reader" / "calibration.toml"
"""Kept beside the reader's weights, which it is fitted to."""


@dataclass(frozen=True)
class RefusalModel:
    """Logistic answerability over :func:`app.gate.features.features`, and the thresholds
    that refuse."""

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
