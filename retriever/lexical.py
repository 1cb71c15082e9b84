"""BM25 search over the store's persisted lexical index, and the committed state it shows.

The index itself (SQLite for its records, tantivy for its postings; updated by every write)
lives with the store; see ``ingest.lexical_index``. A search first checks, in two small reads,
that the index and its postings are in step with the store's revision and otherwise lets the
store catch up (unless a writer is busy doing so), so an incremental ingest, a removal, a
rebuild or another process writing to a Chroma server is never missed and nothing is re-read
at process start. The index holds one version per document, and the hits' texts come from it;
the store's dense search reads its hits from it too, so a reader never sees two versions of a
document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ingest.lexical_index import LexicalIndex
from ingest.records import Chunk


class LexicalSource(Protocol):
    lexical: LexicalIndex

    def revision(self) -> str: ...

    def catch_up(self, *, wait: bool = True) -> bool: ...


class LexicalSearch:
    """Searches the store's lexical index, kept in step with the store."""

    def __init__(self, store: LexicalSource) -> None:
        self._store = store

    @property
    def chunk_ids(self) -> set[str]:
        """Ids of the chunks indexed now (after catching up with the store)."""
        self.catch_up()
        return self._store.lexical.chunk_ids()

    def catch_up(self) -> None:
        """Lets the store bring the index up to date if it is behind and no writer is."""
        if not self._store.lexical.in_step(self._store.revision()):
            self._store.catch_up(wait=False)

    def search(
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Up to ``n`` chunks sharing terms with ``question``, best BM25 score first, in the
        index as it is (call :meth:`catch_up` first to see the store's latest commits)."""
        hits = self._store.lexical.search(question, n, doc_ids)
        # A writer may drop a hit's document between the two reads.
        chunks = self._store.lexical.chunks(chunk_id for chunk_id, _ in hits)
        return [(chunks[chunk_id], score) for chunk_id, score in hits if chunk_id in chunks]
