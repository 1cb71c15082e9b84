"""The answer object every backend returns, its JSON form, and the shape of a backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from ingest.records import Place
from retriever.passage import Passage

if TYPE_CHECKING:
    from app.gate.evidence import Evidence

CANNOT_ANSWER = "The documents do not contain an answer to this question."
"""The one sentence an abstaining answer starts with, so people and code can recognise it."""


class Backend(StrEnum):
    """How an answer is written from the passages."""

    EXTRACTIVE = "extractive"
    """The reader model quotes the sentences holding the answer span: offline and fast."""
    LLM = "llm"
    """A chat model writes the answer, which is then checked against the passages."""


@dataclass(frozen=True)
class Citation:
    """Source ``n`` of an answer: a passage and the exact quote in it that supports a claim."""

    n: int
    passage: Passage
    quote: str
    answer_span: str | None = None
    """The words of the quote that answer the question (the short answer), when known."""

    @property
    def quote_start(self) -> int:
        """Offset of the quote in the passage text (the quote is always a substring of it)."""
        return self.passage.text.find(self.quote)

    @property
    def place(self) -> Place:
        """The page (or slide), table row and OCR flag of the quote itself, which may lie on
        a later page or row than the passage's start."""
        return self.passage.place_of(max(self.quote_start, 0))

    @property
    def location(self) -> str:
        """``page 2``, ``slide 3``, ``row 4``: where the quote is, as citations give it."""
        return self.passage.location(max(self.quote_start, 0))

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        place = self.place
        return {
            "n": self.n,
            "doc_id": p.doc_id,
            "title": p.title,
            "heading_path": list(p.heading_path),
            "quote": self.quote,
            "passage": p.text,
            "start": p.start,
            "end": p.end,
            "page": place.page,
            "page_unit": p.page_unit,
            "row": place.row,
            "ocr": place.ocr,
            "location": self.location,
            "answer_span": self.answer_span,
        }


@dataclass
class Answer:
    """An answer with numbered citation markers ``[n]`` that all resolve to ``citations``."""

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    backend: Backend
    short_answer: str | None = None
    passages: list[Passage] = field(default_factory=list)
    answerability: float = 0.0
    note: str | None = None
    search_query: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    searched_documents: list[str] | None = None
    """The ids of the documents searched when the question was scoped; None for all."""

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "short_answer": self.short_answer,
            "citations": [c.to_json() for c in self.citations],
            "backend": self.backend,
            "answerability": self.answerability,
            "note": self.note,
            "search_query": self.search_query,
            "timings_ms": self.timings_ms,
            "searched_documents": self.searched_documents,
        }


@dataclass(frozen=True)
class AnswerRequest:
    """What a backend answers from: the question, the chat so far, and the retrieved passages
    as the reader read and ranked them."""

    question: str
    history: Sequence[dict[str, str]]
    evidence: Evidence
    reader_unsure: bool = False
    """The passages score below the refusal threshold but inside the band where an LLM may
    still answer: the extractive answer here is a refusal."""

    @property
    def passages(self) -> list[Passage]:
        return self.evidence.ranked_passages


class Answerer(Protocol):
    """A backend: growing partial answers, the last one final and complete. Whether the
    passages may hold an answer is judged before a backend is asked, the same way for every
    backend; a backend that cannot give a supported answer yields its fallback's answer, with
    a note saying why."""

    backend: Backend

    def stream(self, request: AnswerRequest) -> Iterator[Answer]: ...
