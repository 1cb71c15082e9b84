"""BM25 over exactly the chunks of the documents the store has committed.

The index lives in memory and is rebuilt whenever ``store.revision()`` changes, checked on
every search, so an incremental ingest, a removal, a rebuild or another process writing to a
Chroma server is never missed. Only chunks of each document's committed version are indexed:
an ingest in progress (new chunks written, record not yet committed) or just committed (old
chunks not yet deleted) never shows two versions. Dense hits are held to the same rule through
``Snapshot.is_live``. Terms of unchanged chunks are reused on rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import bm25s
import numpy as np

from ingest.records import Chunk, DocumentRecord
from retriever.tokens import index_terms


class ChunkSource(Protocol):
    def revision(self) -> str: ...

    def all_chunks(self) -> list[Chunk]: ...

    def documents(self) -> list[DocumentRecord]: ...


def index_text(chunk: Chunk) -> str:
    """What BM25 sees of a chunk: its title and headings name what its sentences are about."""
    return "\n".join((chunk.title, *chunk.heading_path, chunk.text))


@dataclass
class Snapshot:
    """The index as of one store revision."""

    revision: str | None
    chunks: list[Chunk]
    terms: dict[tuple[str, str], list[str]]
    bm25: bm25s.BM25 | None
    live: dict[str, str] = field(default_factory=dict)
    rows_of_doc: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def chunk_ids(self) -> set[str]:
        return {c.id for c in self.chunks}

    def is_live(self, chunk: Chunk) -> bool:
        """Whether ``chunk`` belongs to its document's committed version."""
        return self.live.get(chunk.doc_id) == chunk.doc_hash

    def search(
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Up to ``n`` chunks sharing terms with ``question``, best BM25 score first."""
        terms = list(dict.fromkeys(index_terms(question)))
        if self.bm25 is None or not terms or n <= 0:
            return []
        mask = self._doc_mask(doc_ids)
        if mask is not None and not mask.any():
            return []
        scores = self.bm25.get_scores(terms, weight_mask=mask)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def _doc_mask(self, doc_ids: Iterable[str] | None) -> np.ndarray | None:
        if doc_ids is None:
            return None
        mask = np.zeros(len(self.chunks), dtype=np.float32)
        for doc_id in doc_ids:
            rows = self.rows_of_doc.get(doc_id)
            if rows is not None:
                mask[rows] = 1.0
        return mask


class LexicalIndex:
    """A BM25 index kept equal to the store's committed chunks, ids and all."""

    def __init__(self, store: ChunkSource, k1: float = 1.2, b: float = 0.5) -> None:
        self._store = store
        self._k1 = k1
        self._b = b
        self._lock = threading.Lock()
        self._snapshot = Snapshot(None, [], {}, None)

    @property
    def chunk_ids(self) -> set[str]:
        """Ids of the chunks indexed now (after catching up with the store)."""
        return self.current().chunk_ids

    def search(
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        return self.current().search(question, n, doc_ids)

    def current(self) -> Snapshot:
        """The index for the store's present revision, rebuilt first if it changed."""
        revision = self._store.revision()
        if self._snapshot.revision == revision:
            return self._snapshot
        with self._lock:
            if self._snapshot.revision != revision:
                self._snapshot = self._build(revision)
            return self._snapshot

    def _build(self, revision: str) -> Snapshot:
        live = {r.doc_id: r.content_hash for r in self._store.documents()}
        chunks = [c for c in self._store.all_chunks() if live.get(c.doc_id) == c.doc_hash]
        if not chunks:
            return Snapshot(revision, [], {}, None, live)
        old = self._snapshot.terms
        terms: dict[tuple[str, str], list[str]] = {}
        for chunk in chunks:
            key = (chunk.id, chunk.text)
            terms[key] = old.get(key) or index_terms(index_text(chunk))
        bm25 = bm25s.BM25(k1=self._k1, b=self._b)
        bm25.index([terms[(c.id, c.text)] for c in chunks], show_progress=False)
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            rows.setdefault(chunk.doc_id, []).append(row)
        rows_of_doc = {doc: np.asarray(r, dtype=np.int64) for doc, r in rows.items()}
        return Snapshot(revision, chunks, terms, bm25, live, rows_of_doc)
