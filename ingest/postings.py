"""BM25 postings of the indexed chunks, in tantivy, beside the lexical index's SQLite file.

tantivy (Lucene's design, in Rust) finds the top n chunks with block-max WAND: it skips the
blocks of a common term's postings that cannot reach the n-th best score, so a search costs
about the same at a thousand chunks as at a million. SQLite FTS5, used before, scored every
chunk holding any of the question's terms and walked each term's whole postings twice (once to
match, once to count chunks for the IDF): 14 ms p95 at 100k chunks, 140 ms at 1M.

Chunks come already analysed (``ingest.text.index_terms``) as space-separated terms, so the only
tokenizer is a split on spaces. A tantivy commit is atomic; each one also stores, in a marker
document, which SQLite file it follows (its generation) and the sequence number of the last
change of it that it holds, which is how ``LexicalIndex`` knows what to replay after a crash
between its SQLite commit and this one.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ingest.errors import StoreError

TOKENIZER = "terms"
WRITER_HEAP = 64_000_000
APPLIED = "applied"
"""The marker document's field of the last lexical index change its commit includes."""
GENERATION = "generation"
"""The marker document's field naming the lexical index (SQLite file) the postings follow."""


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("doc", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("terms", tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_unsigned_field(APPLIED, stored=True, indexed=True, fast=True)
    builder.add_text_field(GENERATION, stored=True, index_option="basic")
    return builder.build()


class Postings:
    """The tantivy index in ``folder``: searched by any process, written by the one holding
    the store's write lock (tantivy's own lock file refuses a second writer)."""

    def __init__(self, folder: Path | None) -> None:
        """The postings in ``folder``; None: postings held in memory only (a reader's view of
        changes that the postings on disk do not hold yet)."""
        import tantivy

        self.folder = folder
        self._lock = threading.Lock()
        self.damaged = False
        """Whether the folder was found damaged and started over empty (rebuilt from the
        lexical index's chunks on the next update)."""
        self._schema = _schema()
        self._index = tantivy.Index(self._schema) if folder is None else self._opened(folder)
        self._index.register_tokenizer(
            TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )

    def _opened(self, folder: Path) -> Any:
        import tantivy

        try:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                return tantivy.Index(self._schema, path=str(folder), reuse=True)
            except ValueError as exc:
                return self._start_over(folder, exc)
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"Cannot open the lexical postings {folder}: {exc}",
                "check the folder is writable and the disk has room",
            ) from None

    def _start_over(self, folder: Path, exc: ValueError) -> Any:
        """An empty index in place of a damaged one (tantivy says so as a ValueError: a
        missing or truncated segment, an unreadable meta.json)."""
        import tantivy

        shutil.rmtree(folder)
        folder.mkdir()
        reason = str(exc).split(":")[0]
        logging.getLogger("citewise").warning(
            "The lexical postings %s were damaged (%s); they are rebuilt from the lexical "
            "index's chunks",
            folder,
            reason,
        )
        self.damaged = True
        return tantivy.Index(self._schema, path=str(folder), reuse=True)

    def applied(self, generation: str) -> int | None:
        """The last change of lexical index ``generation`` that the latest commit includes
        (None: never written, or written for another generation)."""
        import tantivy

        searcher = self._searcher()
        hits = searcher.search(tantivy.Query.exists_query(APPLIED), 1, count=False).hits
        if not hits:
            return None
        marker = searcher.doc(hits[0][1])
        return int(marker[APPLIED][0]) if marker[GENERATION] == [generation] else None

    def chunk_ids(self) -> set[str]:
        """Ids of every chunk the latest commit holds (a read of them all: for checks)."""
        import tantivy

        searcher = self._searcher()
        hits = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs), count=False)
        found = (searcher.doc(address).get_first("chunk") for _, address in hits.hits)
        return {str(chunk_id) for chunk_id in found if chunk_id is not None}

    def _searcher(self) -> Any:
        """A searcher on the latest commit, whichever process made it."""
        with self._lock:
            self._index.reload()
            return self._index.searcher()

    def search(
        self,
        terms: Sequence[str],
        n: int,
        doc_ids: Sequence[str] | None = None,
        excluded: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Ids of the ``n`` chunks (of ``doc_ids`` only, if given; of no document in
        ``excluded``) with the best BM25 score for any of ``terms``, best first, as of the
        latest commit."""
        import tantivy

        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "terms", term))
                for term in terms
            ]
        )
        limits = []
        if doc_ids is not None:
            within = tantivy.Query.term_set_query(self._schema, "doc", doc_ids)
            limits.append((tantivy.Occur.Must, tantivy.Query.const_score_query(within, 0.0)))
        if excluded:
            left_out = tantivy.Query.term_set_query(self._schema, "doc", list(excluded))
            limits.append((tantivy.Occur.MustNot, left_out))
        if limits:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *limits])
        searcher = self._searcher()
        hits = searcher.search(query, n, count=False).hits
        return [(str(searcher.doc(address)["chunk"][0]), float(score)) for score, address in hits]

    def replace(
        self,
        documents: Iterable[tuple[str, Iterable[tuple[str, str]]]],
        generation: str,
        applied: int,
    ) -> None:
        """In one commit: each document's postings replaced by its ``(chunk id, terms)``
        (none: the document is removed), and the marker set to ``applied``."""
        import tantivy

        with self._writer(generation, applied) as writer:
            for doc_id, chunks in documents:
                writer.delete_documents_by_term("doc", doc_id)
                for chunk_id, terms in chunks:
                    writer.add_document(tantivy.Document(chunk=chunk_id, doc=doc_id, terms=terms))

    def rebuild(
        self, chunks: Iterable[tuple[str, str, str]], generation: str, applied: int
    ) -> None:
        """In one commit: postings of exactly these ``(chunk id, doc id, terms)``, and the
        marker set to ``applied``."""
        import tantivy

        with self._writer(generation, applied) as writer:
            writer.delete_all_documents()
            for chunk_id, doc_id, terms in chunks:
                writer.add_document(tantivy.Document(chunk=chunk_id, doc=doc_id, terms=terms))

    @contextlib.contextmanager
    def _writer(self, generation: str, applied: int) -> Iterator[Any]:
        """A writer whose changes, with a new marker, are committed together or not at all."""
        import tantivy

        with self._lock:
            try:
                writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                raise self._write_error(exc) from None
            try:
                writer.delete_documents_by_query(tantivy.Query.exists_query(APPLIED))
                yield writer
                marker = tantivy.Document(generation=generation)
                marker.add_unsigned(APPLIED, applied)
                writer.add_document(marker)
                writer.commit()
            except BaseException as exc:
                writer.rollback()
                if isinstance(exc, OSError | ValueError):
                    raise self._write_error(exc) from None
                raise
            finally:
                writer.wait_merging_threads()

    def _write_error(self, exc: Exception) -> StoreError:
        """What a failed write of the postings tells the user; the lexical index's record is
        intact, and the next write or search replays what is missing."""
        return StoreError(
            f"Cannot write the lexical postings {self.folder}: {exc}",
            "check the disk has room and the folder is writable, then run the command again",
        )
