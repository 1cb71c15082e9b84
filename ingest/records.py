"""What the index stores: chunks of documents and one record per document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
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
    )
