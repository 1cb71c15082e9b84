"""Dense search: the question's embedding against the chunk vectors in Chroma."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from ingest.records import Chunk
from retriever.passage import Passage


class VectorStore(Protocol):
    def query(
        self, embedding: Sequence[float], n: int, doc_ids: Sequence[str] | None = None
    ) -> list[tuple[Chunk, float]]: ...

    def similarities(self, embedding: Sequence[float], ids: Sequence[str]) -> dict[str, float]: ...


def dense_search(
    store: VectorStore,
    embedding: Sequence[float],
    n: int,
    doc_ids: Sequence[str] | None = None,
) -> list[tuple[Chunk, float]]:
    """Up to ``n`` chunks nearest in meaning to the question's ``embedding``, cosine
    similarity first."""
    if n <= 0 or (doc_ids is not None and not doc_ids):
        return []
    return store.query(embedding, n, doc_ids)


def with_similarity(
    store: VectorStore, embedding: Sequence[float], passages: list[Passage]
) -> list[Passage]:
    """The passages with their cosine similarity to the question, also those that only the
    lexical search found (their best chunk's): the reader's refusal model reads how close in
    meaning the passages are, whichever search found them."""
    missing = [i for p in passages if p.dense_score is None for i in p.chunk_ids]
    similarity = store.similarities(embedding, missing) if missing else {}
    return [
        replace(
            p,
            similarity=p.dense_score
            if p.dense_score is not None
            else max((similarity[i] for i in p.chunk_ids if i in similarity), default=None),
        )
        for p in passages
    ]
