"""Document texts and their sentences, fetched once per index revision.

Widening needs a document's full text and sentence boundaries; both are cached and dropped
as soon as the index changes, so a passage is never widened with an older version's text.
"""

from __future__ import annotations

import threading
from typing import Protocol

from ingest.records import DocumentRecord
from ingest.text.sentences import sentence_spans

Sentences = list[tuple[int, int]]


class DocumentSource(Protocol):
    def revision(self) -> str: ...

    def document(self, doc_id: str) -> DocumentRecord | None: ...


class DocumentTexts:
    def __init__(self, store: DocumentSource, max_documents: int = 64) -> None:
        self._store = store
        self._max = max_documents
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._cache: dict[str, tuple[str, Sentences] | None] = {}

    def get(self, doc_id: str) -> tuple[str, Sentences] | None:
        """The text and sentence spans of ``doc_id``, or ``None`` if it is not indexed."""
        revision = self._store.revision()
        with self._lock:
            if revision != self._revision:
                self._revision, self._cache = revision, {}
            if doc_id in self._cache:
                return self._cache[doc_id]
        record = self._store.document(doc_id)
        found = None if record is None else (record.text, sentence_spans(record.text))
        with self._lock:
            if self._revision == revision:
                if len(self._cache) >= self._max:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[doc_id] = found
        return found
