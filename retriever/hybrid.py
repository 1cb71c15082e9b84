"""Hybrid search: dense and lexical rankings fused, merged into passages, optionally widened.

Dense search finds paraphrases; lexical search finds exact names, codes and numbers, also
when the question is in another language than the corpus. For a multilingual corpus set
``CITEWISE_EMBEDDING_MODEL=paraphrase-multilingual-MiniLM-L12-v2`` (or another multilingual
sentence-transformers model) and re-ingest with ``--rebuild``; the lexical side needs nothing.

The two searches are independent, so the lexical one runs in the retriever's worker thread
while the dense one embeds the question and queries Chroma: SQLite and torch both release the
GIL, and on a large index the lexical search is the slower of the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from ingest.errors import QueryError
from ingest.settings import Settings
from retriever.dense import dense_search, with_similarity
from retriever.documents import DocumentTexts
from retriever.fusion import fuse
from retriever.lexical import LexicalSearch
from retriever.merge import merge
from retriever.passage import Passage
from retriever.protocols import QueryEmbedder, SearchableStore
from retriever.question import clean_question
from retriever.widen import widen as widen_passages


class HybridRetriever:
    """Finds the passages of the index most likely to answer a question."""

    def __init__(self, store: SearchableStore, embedder: QueryEmbedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.lexical = LexicalSearch(store)
        self.documents = DocumentTexts(store)
        self._lexical_worker = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="citewise-lexical"
        )
        """One thread is enough: the lexical index serves one search at a time anyway."""

    @classmethod
    def open(cls, settings: Settings) -> HybridRetriever:
        """A retriever on its own connection to the index named by ``settings``, with its own
        embedder (the app shares one of each through ``app.composition.Components``)."""
        from ingest.embedder import new_embedder
        from ingest.store import ChunkStore

        store = ChunkStore.open(settings)
        return cls(store, new_embedder(store.settings), settings)

    def close(self) -> None:
        """Stops the lexical search thread (the store is its opener's to close)."""
        self._lexical_worker.shutdown(wait=False)

    def search(
        self,
        question: str,
        k: int | None = None,
        doc_ids: Iterable[str] | None = None,
        widen: int = 0,
    ) -> list[Passage]:
        """The ``k`` (default ``settings.top_k``) best passages, best first, none overlapping.

        ``doc_ids`` limits the search to those documents; ``widen`` adds that many sentences
        of context on each side. Raises QueryError for an empty question; a very long one is
        cut to ``settings.max_question_chars``.
        """
        text = clean_question(question, self.settings.max_question_chars)
        k = self.settings.top_k if k is None else k
        if k < 1:
            raise QueryError(f"k must be at least 1, not {k}")
        if widen < 0:
            raise QueryError(f"widen must be 0 or more, not {widen}")
        wanted = None if doc_ids is None else list(dict.fromkeys(doc_ids))
        passages = self._search(text, k, wanted)
        return widen_passages(passages, widen, self.documents.get)

    def _search(self, text: str, k: int, wanted: list[str] | None) -> list[Passage]:
        n = max(self.settings.candidates, k)
        # Both searches read their hits as of the store's latest commit, so it refreshes first.
        self.lexical.refresh()
        lexical_hits = self._lexical_worker.submit(self.lexical.search, text, n, wanted)
        embedding = self.embedder.embed_query(text)
        dense = dense_search(self.store, embedding, n, wanted)
        lexical = lexical_hits.result()
        candidates = fuse(
            dense,
            lexical,
            dense_weight=self.settings.dense_weight,
            lexical_weight=self.settings.lexical_weight,
            rrf_k=self.settings.rrf_k,
        )
        passages = merge(candidates, k, self.settings.chunk_size)
        return with_similarity(self.store, embedding, passages)
