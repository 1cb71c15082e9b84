"""The answer object every backend returns, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retriever.passage import Passage

CANNOT_ANSWER = "The documents do not contain an answer to this question."
"""The one sentence an abstaining answer starts with, so people and code can recognise it."""


@dataclass(frozen=True)
class Citation:
    """Source ``n`` of an answer: a passage and the exact quote in it that supports a claim."""

    n: int
    passage: Passage
    quote: str

    @property
    def quote_start(self) -> int:
        """Offset of the quote in the passage text (the quote is always a substring of it)."""
        return self.passage.text.find(self.quote)

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        return {
            "n": self.n,
            "doc_id": p.doc_id,
            "title": p.title,
            "heading_path": list(p.heading_path),
            "quote": self.quote,
            "passage": p.text,
            "start": p.start,
            "end": p.end,
            "page": p.page,
        }


@dataclass
class Answer:
    """An answer with numbered citation markers ``[n]`` that all resolve to ``citations``."""

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    backend: str
    short_answer: str | None = None
    passages: list[Passage] = field(default_factory=list)
    answerability: float = 0.0
    note: str | None = None
    search_query: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

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
        }
