"""A retrieved passage: the text a reader is shown and the scores that ranked it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """A contiguous span of one document, ``document_text[start:end] == text``.

    Scores are ``None`` on the side that did not find the passage; ``similarity`` is the
    cosine similarity of the passage's best chunk to the question whichever side found it.
    """

    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...]
    page: int | None
    fused_score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    chunk_ids: tuple[str, ...] = ()
    similarity: float | None = None

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)
