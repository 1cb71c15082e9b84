"""The seams of retrieval: what a search needs of the index, and what a retriever offers.

The store's parts are the Protocols of the modules that use them (``dense.VectorStore``,
``lexical.LexicalSource``, ``documents.DocumentSource``); ``SearchableStore`` is all of them
together, as ``ChunkStore`` provides them. ``Retriever`` is what the answer engine and the
LangChain adapter call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ingest.protocols import QueryEmbedder
from retriever.dense import VectorStore
from retriever.documents import DocumentSource
from retriever.lexical import LexicalSource
from retriever.passage import Passage

__all__ = ["QueryEmbedder", "Retriever", "SearchableStore"]


class SearchableStore(VectorStore, LexicalSource, DocumentSource, Protocol):
    """An index that dense search, lexical search and widening can all read."""


class Retriever(Protocol):
    """Finds the passages of the index most likely to answer a question."""

    def search(
        self,
        question: str,
        k: int | None = None,
        doc_ids: Iterable[str] | None = None,
        widen: int = 0,
    ) -> list[Passage]: ...
