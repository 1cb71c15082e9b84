"""The retriever as a LangChain ``BaseRetriever``, to drop into any LangChain chain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ingest.settings import Settings
from retriever.hybrid import HybridRetriever
from retriever.passage import Passage


def to_document(passage: Passage) -> Document:
    """A LangChain document: the passage text, with every field and score as metadata."""
    metadata: dict[str, Any] = {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "start": passage.start,
        "end": passage.end,
        "heading_path": list(passage.heading_path),
        "heading": passage.heading,
        "page": passage.page,
        "fused_score": passage.fused_score,
        "dense_score": passage.dense_score,
        "lexical_score": passage.lexical_score,
        "chunk_ids": list(passage.chunk_ids),
    }
    return Document(page_content=passage.text, metadata=metadata)


class CitewiseRetriever(BaseRetriever):
    """Hybrid citewise search behind LangChain's retriever interface.

    ``CitewiseRetriever.from_settings(load_settings()).invoke("question")``
    """

    retriever: HybridRetriever
    k: int | None = None
    doc_ids: list[str] | None = None
    widen: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, **fields: Any) -> CitewiseRetriever:
        """A retriever on its own connection to the index named by ``settings``."""
        return cls(retriever=HybridRetriever.open(settings), **fields)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.retriever.search(query, k=self.k, doc_ids=self.doc_ids, widen=self.widen)
        return [to_document(p) for p in passages]
