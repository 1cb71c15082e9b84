"""What the index stores: chunks of documents and one record per document."""

from __future__ import annotations

from dataclasses import dataclass, field


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
