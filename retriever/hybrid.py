"""Hybrid search: dense and lexical rankings fused, merged into passages, optionally widened.

Dense search finds paraphrases; lexical search finds exact names, codes and numbers, also
when the question is in another language than the corpus. For a multilingual corpus set
``CITEWISE_EMBEDDING_MODEL=paraphrase-multilingual-MiniLM-L12-v2`` (or another multilingual
sentence-transformers model) and re-ingest with ``--rebuild``; the lexical side needs nothing.

The two searches are independent, so the lexical one runs in a worker thread while the dense
one embeds the question and queries Chroma: SQLite and torch both release the GIL, and on a
large index the lexical search is the slower of the two.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ingest.errors import QueryError
from ingest.settings import Settings
from retriever.dense import dense_search, with_similarity
from retriever.documents import DocumentTexts
from retriever.fusion import fuse
from retriever.lexical import LexicalSearch
from retriever.merge import merge
from retriever.passage import Passage
from retriever.widen import widen as widen_passages


def clean_question(question: str, max_chars: int) -> str:
    """The question trimmed, and cut at a word boundary if longer than ``max_chars``."""
    if not isinstance(question, str):
        raise QueryError(f"A question must be text, not {type(question).__name__}")
    text = question.replace("\x00", " ").strip()
    if not text:
        raise QueryError("The question is empty", "type a question about your documents")
    if len(text) > max_chars:
        cut = text[:max_chars]
        space = cut.rfind(" ", max_chars // 2)
        text = cut[:space] if space > 0 else cut
    return text


class HybridRetriever:
    """Finds the passages of the index most likely to answer a question."""

    def __init__(
        self,
        store: Any,
        embedder: Any,
        settings: Settings,
        *,
        lexical: LexicalSearch | None = None,
        documents: DocumentTexts | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.lexical = lexical or LexicalSearch(store)
        self.documents = documents or DocumentTexts(store)

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
        lexical_hits = _lexical_worker.submit(self.lexical.search, text, n, wanted)
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


_lexical_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citewise-lexical")
"""One thread is enough: the lexical index serves one search at a time anyway."""
_shared: dict[tuple[Any, ...], tuple[Any, LexicalSearch, DocumentTexts]] = {}
_retrievers: dict[str, HybridRetriever] = {}
_lock = threading.Lock()


def open_retriever(settings: Settings) -> HybridRetriever:
    """The retriever for ``settings``; one store connection and lexical index per index."""
    from ingest.embedder import get_embedder
    from ingest.store import ChunkStore

    with _lock:
        retriever = _retrievers.get(settings.model_dump_json())
        if retriever is not None:
            return retriever
        where = settings.chroma_url or str(settings.store_dir.resolve())
        key = (
            where,
            settings.collection,
            settings.embedding_model,
            settings.chunk_size,
            settings.chunk_overlap,
        )
        if key not in _shared:
            store = ChunkStore.open(settings)
            _shared[key] = (store, LexicalSearch(store), DocumentTexts(store))
        store, lexical, documents = _shared[key]
        retriever = HybridRetriever(
            store, get_embedder(settings), settings, lexical=lexical, documents=documents
        )
        _retrievers[settings.model_dump_json()] = retriever
        return retriever
