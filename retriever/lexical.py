"""BM25 search over the store's persisted lexical index, and the committed state it shows.

The index itself (SQLite for its records, tantivy for its postings; updated by every write)
lives with the store; see ``ingest.lexical_index``. A search first lets the store refresh its
view (:meth:`ChunkStore.refresh`: two or three small reads), so an incremental ingest, a
removal, a rebuild or another process writing to a Chroma server is never missed and nothing
is re-read at process start. A search never writes and never waits for a writer: if the
lexical index is behind the store, the store reads what it shows wrongly from the committed
record, and the next writer catches the index up. The index holds one version per document,
and the hits' texts come from it; the store's dense search reads its hits from it too, so a
reader never sees two versions of a document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ingest.records import Chunk


class LexicalSource(Protocol):
    def refresh(self) -> None: ...

    def search_lexically(
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]: ...

    def searchable_chunk_ids(self) -> set[str]: ...


class LexicalSearch:
    """Searches the store's lexical index, as of the store's latest commit."""

    def __init__(self, store: LexicalSource) -> None:
        self._store = store

    @property
    def chunk_ids(self) -> set[str]:
        """Ids of the chunks a search can find now (after a refresh)."""
        self.refresh()
        return self._store.searchable_chunk_ids()

    def refresh(self) -> None:
        """Lets the store's view follow its latest commit (without taking the write lock)."""
        self._store.refresh()

    def search(
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Up to ``n`` chunks sharing terms with ``question``, best BM25 score first, as of
        the last :meth:`refresh`."""
        return self._store.search_lexically(question, n, doc_ids)
