"""The retrieved passages as the reader sees them: each read, then ranked by the reader's
verdict combined with the retriever's.

The combination weights are fitted on held-out training articles
(``python -m evals.training.calibrate``) and stored in the reader's ``calibration.toml``
(``app.gate.calibration``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from app.reader.reading import Reading, read
from app.reader.runtime import Reader
from retriever.passage import Passage


@dataclass(frozen=True)
class RerankWeights:
    """How much the retriever's cosine similarity, its rank (as 1 / rank) and the verifier's
    verdict count next to the reader's span margin."""

    dense: float
    rank: float
    verdict: float


@dataclass(frozen=True)
class ReadPassage:
    """A retrieved passage, its rank in the retriever's list (1 = first) and the reader's best
    span in it (None when the reader found no text to read)."""

    passage: Passage
    retrieval_rank: int
    reading: Reading | None
    score: float

    @property
    def span(self) -> str | None:
        if self.reading is None:
            return None
        return self.passage.text[self.reading.start : self.reading.end].strip() or None


def combined_score(
    reading: Reading | None, passage: Passage, rank: int, weights: RerankWeights
) -> float:
    """The ranking score: the reader's margin plus the verifier's and the retriever's
    signals, weighted."""
    if reading is None:
        return float("-inf")
    return (
        reading.margin
        + weights.verdict * reading.verdict
        + weights.dense * (passage.dense_score or 0.0)
        + weights.rank / rank
    )


@dataclass(frozen=True)
class Evidence:
    """What the reader made of the retrieved passages, best first."""

    question: str
    search_query: str
    read: list[ReadPassage]

    @classmethod
    def build(
        cls,
        question: str,
        search_query: str,
        passages: Sequence[Passage],
        readings: Sequence[Reading | None],
        weights: RerankWeights,
    ) -> Evidence:
        read = [
            ReadPassage(p, rank, r, combined_score(r, p, rank, weights))
            for rank, (p, r) in enumerate(zip(passages, readings, strict=True), start=1)
        ]
        read.sort(key=lambda item: (-item.score, item.retrieval_rank))
        return cls(question, search_query, read)

    @property
    def best(self) -> ReadPassage | None:
        """The passage whose span the answer quotes (None when nothing could be read)."""
        return self.read[0] if self.read and self.read[0].reading is not None else None

    @cached_property
    def ranked_passages(self) -> list[Passage]:
        return [item.passage for item in self.read]


def read_evidence(
    question: str,
    search_query: str,
    passages: Sequence[Passage],
    weights: RerankWeights,
    reader: Reader,
) -> Evidence:
    """The passages read by ``reader`` and ranked."""
    readings = read(reader.tokenizer, reader.model, question, [p.text for p in passages])
    return Evidence.build(question, search_query, passages, readings, weights)
