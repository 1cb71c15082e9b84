"""What the index stores: chunks of documents and one record per document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    """Where the text from document offset ``start`` on comes from, until the next place:
    its page (or slide), its table row, and whether OCR read it."""

    start: int
    page: int | None = None
    row: int | None = None
    ocr: bool = False

    def to_list(self) -> list[int | bool | None]:
        return [self.start, self.page, self.row, self.ocr]


def place_at(places: tuple[Place, ...], offset: int) -> Place | None:
    """The place of the text at document ``offset``: the last one starting at or before it."""
    found = None
    for place in places:
        if place.start > offset:
            break
        found = place
    return found


def describe_place(page: int | None, row: int | None, page_unit: str = "page") -> str:
    """``slide 3``, ``row 4``, ``page 2, row 5``: a location as a citation gives it."""
    parts = [f"{page_unit} {page}"] if page is not None else []
    if row is not None:
        parts.append(f"row {row}")
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document, with the offsets that locate it exactly.

    ``document_text[start:end] == text`` holds for the document's normalised text, so a
    citation can always be traced back to the words it quotes.
    """

    doc_id: str
    index: int
    text: str
    start: int
    end: int
    title: str
    source: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    doc_hash: str = ""
    """Content hash of the document version this chunk came from (set when indexed)."""
    places: tuple[Place, ...] = ()
    """Where its parts come from, when that varies inside it or holds a row or OCR'd text
    (a chunk across two pages, the rows of a table); empty for plain text."""
    page_unit: str = "page"
    """What ``page`` counts: "page", or "slide" for a presentation."""

    @property
    def id(self) -> str:
        """Unique per document version, so a new version's chunks never overwrite the old ones
        before the new version is committed (see ``ingest.sync``)."""
        return f"{self.doc_id}#{self.doc_hash[:12]}#{self.index}"


@dataclass(frozen=True)
class DocumentRecord:
    """One indexed document: the content hash that makes re-ingestion incremental."""

    doc_id: str
    title: str
    source: str
    content_hash: str
    chunks: int
    ingested_at: str
    text: str = field(default="", repr=False, compare=False)


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    """The chunk's fields other than its text, as flat metadata (Chroma takes no lists)."""
    meta: dict[str, str | int] = {
        "doc_id": chunk.doc_id,
        "doc_hash": chunk.doc_hash,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": chunk.title,
        "source": chunk.source,
        "heading": " > ".join(chunk.heading_path),
        "heading_path": json.dumps(list(chunk.heading_path), ensure_ascii=False),
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.places:
        meta["places"] = json.dumps([p.to_list() for p in chunk.places])
    if chunk.page_unit != "page":
        meta["page_unit"] = chunk.page_unit
    return meta


def chunk_from(text: str, meta: dict[str, Any]) -> Chunk:
    """The chunk that :func:`chunk_metadata` and its text describe."""
    return Chunk(
        doc_id=meta["doc_id"],
        index=int(meta["index"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        heading_path=tuple(json.loads(meta.get("heading_path", "[]"))),
        page=meta.get("page"),
        doc_hash=meta.get("doc_hash", ""),
        places=tuple(Place(*p) for p in json.loads(meta.get("places", "[]"))),
        page_unit=meta.get("page_unit", "page"),
    )
