"""The seams of ingestion: what the rest of citewise needs of an index and of an embedder.

``ChunkStore`` (embedded Chroma or a Chroma server) and ``Embedder`` are the implementations;
the Protocols let the retriever, the app and the tests say what they use without naming them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ingest.records import DocumentRecord
from ingest.runtime import EmbeddingRuntime

EmbedProgress = Callable[[int, int], None]


class QueryEmbedder(Protocol):
    """Embeds a question, as searches do."""

    def embed_query(self, text: str) -> list[float]: ...


class DocumentEmbedder(QueryEmbedder, Protocol):
    """Embeds chunks for the index as well as questions."""

    @property
    def name(self) -> str: ...

    @property
    def runtime(self) -> EmbeddingRuntime:
        """What computes its vectors: an index takes vectors of its own runtime only."""
        ...

    def embed_documents(
        self, texts: Sequence[str], progress: EmbedProgress | None = None
    ) -> list[list[float]]: ...


class DocumentCatalog(Protocol):
    """The documents of an index, as the chat, the engine and the corpus tab list them."""

    def revision(self) -> str: ...

    def documents(self) -> list[DocumentRecord]: ...

    def has_documents(self) -> bool: ...

    def document(self, doc_id: str) -> DocumentRecord | None: ...

    def attachments(self, doc_id: str) -> list[str]: ...

    def remove(self, doc_id: str) -> bool: ...
