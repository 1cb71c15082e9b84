"""Dense search: the question's embedding against the chunk vectors in Chroma."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ingest.records import Chunk


class QueryEmbedder(Protocol):
    def embed_query(self, text: str) -> list[float]: ...


class VectorStore(Protocol):
    def query(
        self, embedding: Sequence[float], n: int, doc_ids: Sequence[str] | None = None
    ) -> list[tuple[Chunk, float]]: ...


def dense_search(
    store: VectorStore,
    embedder: QueryEmbedder,
    question: str,
    n: int,
    doc_ids: Sequence[str] | None = None,
) -> list[tuple[Chunk, float]]:
    """Up to ``n`` chunks nearest in meaning, cosine similarity first."""
    if n <= 0 or (doc_ids is not None and not doc_ids):
        return []
    return store.query(embedder.embed_query(question), n, doc_ids)
