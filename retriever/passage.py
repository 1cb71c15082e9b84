"""A retrieved passage: the text a reader is shown and the scores that ranked it."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.records import Place, describe_place, place_at


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
    places: tuple[Place, ...] = ()
    """Where its parts come from (page, row, OCR), by document offset; see ``Chunk.places``."""
    page_unit: str = "page"

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    def place_of(self, offset: int) -> Place:
        """The page, row and OCR flag of the text at ``offset`` in this passage's text."""
        found = place_at(self.places, self.start + offset)
        return found if found is not None else Place(self.start, self.page)

    def location(self, offset: int = 0) -> str:
        """``page 2``, ``slide 3``, ``row 4``: where the text at ``offset`` comes from."""
        place = self.place_of(offset)
        return describe_place(place.page, place.row, self.page_unit)
