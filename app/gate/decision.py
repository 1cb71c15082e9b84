"""The answer gate: whether the retrieved passages may hold the answer, decided the same way
for every backend before one is asked.

The reader reads and ranks the passages (``app.gate.evidence``); the calibrated refusal model
turns what it found into an answerability (``app.gate.features``, ``app.gate.calibration``);
the threshold, and the floor of the band below it where an LLM still reads the passages, lie
between the ones for edited prose and for informal text by how informal the passages read
(``app.gate.text_kind``). A threshold set by hand replaces both, and then the kind of text is
never read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.gate.calibration import Calibration
from app.gate.evidence import Evidence, read_evidence
from app.gate.features import features
from app.protocols import ReaderModels
from retriever.passage import Passage


class Verdict(StrEnum):
    """What the gate lets the backends do with the passages."""

    ANSWER = "answer"
    """At or above the threshold: every backend answers."""
    LLM_BAND = "llm band"
    """Below the threshold, down to the LLM floor: the reader is unsure; the extractive
    backend refuses, an LLM still reads the passages and may answer or refuse by itself."""
    REFUSE = "refuse"
    """Under the band, or nothing could be read: every backend refuses with the same
    sentence."""


@dataclass(frozen=True)
class GateDecision:
    verdict: Verdict
    answerability: float
    """How likely the passages hold the answer, by the calibrated refusal model (0 to 1)."""


class AnswerGate:
    """Reads the passages with the reader and decides whether they may be answered from."""

    def __init__(
        self,
        calibration: Calibration,
        models: ReaderModels,
        abstain_threshold: float | None = None,
    ) -> None:
        self.calibration = calibration
        self.models = models
        """The reader and the text-kind model, loaded on first use."""
        self.abstain_threshold = abstain_threshold
        """Set by hand, it replaces the calibrated threshold and the LLM floor."""

    def read(self, question: str, search_query: str, passages: Sequence[Passage]) -> Evidence:
        """The passages read by the reader and ranked with the calibrated weights."""
        reader = self.models.reader()
        return read_evidence(question, search_query, passages, self.calibration.rerank, reader)

    def decide(self, evidence: Evidence) -> GateDecision:
        score = self.calibration.refusal.probability(features(evidence))
        in_retrieval_order = sorted(evidence.read, key=lambda item: item.retrieval_rank)
        informality = functools.cache(
            lambda: self.models.text_kind().informality(
                [i.passage.text for i in in_retrieval_order]
            )
        )
        if evidence.best is None:
            verdict = Verdict.REFUSE
        elif score >= self.threshold(informality):
            verdict = Verdict.ANSWER
        elif score >= self.llm_floor(informality):
            verdict = Verdict.LLM_BAND
        else:
            verdict = Verdict.REFUSE
        return GateDecision(verdict, score)

    def threshold(self, informality: float | Callable[[], float]) -> float:
        """The answerability below which answers refuse: the hand-set threshold if given, else
        the calibrated one for passages this informal (a callable is asked only then)."""
        return self._calibrated(self.calibration.refusal.threshold, informality)

    def llm_floor(self, informality: float | Callable[[], float]) -> float:
        """The answerability below which even an LLM is not asked: the bottom of the band
        where the reader is unsure (no band when the threshold is set by hand)."""
        return self._calibrated(self.calibration.refusal.llm_floor, informality)

    def _calibrated(
        self, bound: Callable[[float], float], informality: float | Callable[[], float]
    ) -> float:
        if self.abstain_threshold is not None:
            return self.abstain_threshold
        return bound(informality() if callable(informality) else informality)
