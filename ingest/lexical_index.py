"""The persisted lexical index: BM25 over the committed chunks.

Two files beside the Chroma data. A SQLite file is the record: the indexed version of each
document, its chunks (text and metadata, so a search, lexical or dense, reads its hits from this
one local file: Chroma's reads of records by id slow down as a collection grows, about 4 ms for
30 chunks at 100k chunks against 1.4 ms at 1k), the store revision the index is in step with,
and a log of the documents changed since the postings last caught up. The postings
(``ingest.postings``, tantivy) rank chunks by BM25. Chunks are analysed by
``ingest.text.index_terms`` (folding, stemming, compounds, neighbouring pairs) into ready terms.

The index holds exactly one version per document, the one recorded in ``documents``; readers
take that table as the committed state, so they never see two versions of a document. It
records the store revision it is in step with (``synced``): when the store's revision
differs, the store brings the index up to date (see ``ChunkStore.catch_up``).

A write commits to SQLite first, logging the documents it changed, then replays the log into
the postings, whose commit stores the last change it holds. A crash between the two leaves the
log: the next writer replays it, reading those documents' chunks from SQLite; a reader that
finds the postings behind meanwhile reads those documents from SQLite instead
(:meth:`LexicalIndex.behind_postings`, ``ChunkStore.refresh``), and takes no lock. Postings
lost or never built (an index written before they existed) are rebuilt from SQLite's chunks,
without Chroma.

The SQLite file's layout is that of its numbered migrations (``ingest.migrations``), applied
when it is opened.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest import migrations
from ingest.crash import crash_point
from ingest.errors import StoreError
from ingest.faults import is_damaged
from ingest.migrations import (
    GENERATION,
    TEXTS,
    ChunkSource,
    chunk_meta_json,
    flag,
    new_generation,
    record_analyzer,
)
from ingest.postings import Postings
from ingest.records import Chunk, chunk_from
from ingest.text.index_terms import index_terms

FILE_NAME = "lexical.sqlite3"
POSTINGS_SUFFIX = ".postings"
"""The postings folder is the SQLite file's path with this suffix added."""
PAIR_JOINER = "_"
"""Neighbouring-term pairs become one token: "steam engine" -> "steam_engine"."""


def index_text(chunk: Chunk) -> str:
    """What BM25 sees of a chunk: its title and headings name what its sentences are about."""
    return "\n".join((chunk.title, *chunk.heading_path, chunk.text))


def _tokens(terms: Iterable[str]) -> list[str]:
    return [term.replace(" ", PAIR_JOINER) for term in terms]


def chunk_terms(chunk: Chunk) -> str:
    """The chunk's index terms, space-separated, as the postings store them."""
    return " ".join(_tokens(index_terms(index_text(chunk))))


def _terms(text: str, meta: str) -> str:
    """The index terms of a chunk stored as ``text`` and ``meta``."""
    return chunk_terms(chunk_from(text, json.loads(meta)))


def question_tokens(question: str) -> list[str]:
    """The question's terms as the postings store them, each once, in the question's order."""
    return list(dict.fromkeys(_tokens(index_terms(question))))


class LexicalIndex:
    """BM25 over the chunks of one committed version per document, persisted in ``path``.

    Safe to share between threads; several processes may read while one writes (WAL). Only
    the holder of the store's write lock writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.damaged = False
        """Whether the file was found damaged and started over empty: the store rebuilds it."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._open()
            except sqlite3.DatabaseError as exc:
                if not is_damaged(exc):
                    raise
                self._start_over(exc)
        except sqlite3.Error as exc:
            raise StoreError(
                f"Cannot open the lexical index {path}: {exc}",
                "check the folder is writable and the disk has room",
            ) from None
        self.postings = Postings(path.with_name(path.name + POSTINGS_SUFFIX))
        self.damaged = self.damaged or self.postings.damaged

    def _open(self) -> None:
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        migrations.migrate(self._db)

    def migrate(self, source: ChunkSource) -> None:
        """Applies the migrations that need the store's chunks (see ``ingest.migrations``)."""
        with self._lock:
            migrations.migrate(self._db, source)

    def _start_over(self, exc: sqlite3.DatabaseError) -> None:
        """Replaces a damaged file by an empty one: it is derived from the store's records,
        which the store reads again to fill it (``ChunkStore.catch_up``)."""
        opened = getattr(self, "_db", None)
        if opened is not None:
            with contextlib.suppress(sqlite3.Error):
                opened.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        logging.getLogger("citewise").warning(
            "The lexical index %s was damaged (%s); it is rebuilt from the index's records",
            self.path,
            exc,
        )
        self.damaged = True
        self._open()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    # State -------------------------------------------------------------------------------------

    def synced(self) -> str | None:
        """The store revision this index was last brought in step with."""
        return self._meta("synced")

    def _meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def in_step(self, revision: str) -> bool:
        """Whether the index is in step with store ``revision``, postings included."""
        return self.synced() == revision and self.postings_current()

    def postings_current(self) -> bool:
        """Whether the postings hold every logged change (False if they were never built)."""
        applied = self.postings.applied(self._generation())
        return applied is not None and self._last_change() <= applied

    def _generation(self) -> str:
        return str(self._meta(GENERATION))

    def _last_change(self) -> int:
        with self._lock:
            return self._last_change_locked()

    def _last_change_locked(self) -> int:
        return int(self._db.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0)

    def documents(self) -> dict[str, str]:
        """doc_id -> content hash of every indexed document."""
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, doc_hash FROM documents").fetchall())

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT chunk_id FROM chunks")}

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The indexed chunks among ``ids``: those of the indexed version of their document."""
        with self._lock:
            rows = self._db.execute(
                "SELECT chunk_id, text, meta FROM chunks"
                " WHERE chunk_id IN (SELECT value FROM json_each(?)) AND text IS NOT NULL",
                (json.dumps(list(ids)),),
            ).fetchall()
        return {str(i): chunk_from(text, json.loads(meta)) for i, text, meta in rows}

    # Writing -----------------------------------------------------------------------------------

    def apply(
        self,
        replaced: Sequence[tuple[str, str, Sequence[Chunk]]] = (),
        removed: Iterable[str] = (),
        advance: tuple[str, str] | None = None,
    ) -> None:
        """In one transaction: sets each ``(doc_id, doc_hash, chunks)`` as that document's
        indexed version and drops the ``removed`` documents; then the postings follow.
        ``advance=(before, after)`` records the index as in step with revision ``after`` if it
        was with ``before``: a writer that was in step stays so, one that was behind stays
        behind."""
        with self._transaction() as db:
            for doc_id in [*removed, *(r[0] for r in replaced)]:
                self._drop(db, doc_id)
                db.execute("INSERT INTO changes(doc_id) VALUES (?)", (doc_id,))
            for doc_id, doc_hash, chunks in replaced:
                db.execute("INSERT INTO documents VALUES (?, ?)", (doc_id, doc_hash))
                db.executemany(
                    "INSERT INTO chunks(chunk_id, doc_id, text, meta) VALUES (?, ?, ?, ?)",
                    [(c.id, doc_id, c.text, chunk_meta_json(c)) for c in chunks],
                )
            if advance is not None:
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'synced' AND value = ?",
                    (advance[1], advance[0]),
                )
        self.update_postings()

    def mark_synced(self, revision: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('synced', ?)", (revision,))

    @staticmethod
    def _drop(db: sqlite3.Connection, doc_id: str) -> None:
        db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def clear(self, synced: str) -> None:
        """Empties the index (the store was rebuilt) and records ``synced``."""
        with self._transaction() as db:
            for table in ("chunks", "documents", "changes", "meta"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.execute("INSERT INTO meta VALUES ('synced', ?)", (synced,))
            new_generation(db)
            record_analyzer(db)
            flag(db, TEXTS)
        self.update_postings()

    def behind_postings(self) -> list[str] | None:
        """The documents changed in the record since the postings' last commit, which the
        postings show wrongly; None if the postings were never built for this file (they show
        nothing of it)."""
        applied = self.postings.applied(self._generation())
        if applied is None:
            return None
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT doc_id FROM changes WHERE seq > ?", (applied,)
            ).fetchall()
        return sorted(str(doc_id) for (doc_id,) in rows)

    def chunks_of(self, doc_ids: Sequence[str]) -> dict[str, list[Chunk]]:
        """doc_id -> its indexed chunks in order, for those of ``doc_ids`` that are indexed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doc_id, text, meta FROM chunks"
                " WHERE doc_id IN (SELECT value FROM json_each(?)) AND text IS NOT NULL"
                " ORDER BY row",
                (json.dumps(list(doc_ids)),),
            ).fetchall()
        found: dict[str, list[Chunk]] = {}
        for doc_id, text, meta in rows:
            found.setdefault(str(doc_id), []).append(chunk_from(text, json.loads(meta)))
        return found

    def update_postings(self) -> None:
        """Replays the logged changes into the postings (all of ``chunks`` if they were never
        built) and drops the replayed part of the log."""
        generation = self._generation()
        applied = self.postings.applied(generation)
        if applied is None:
            with self._lock:
                head = self._last_change_locked()
                self.postings.rebuild(self._chunk_terms(), generation, head)
        else:
            with self._lock:
                logged = self._db.execute(
                    "SELECT DISTINCT doc_id FROM changes WHERE seq > ?", (applied,)
                ).fetchall()
                head = self._last_change_locked()
                documents: dict[str, list[tuple[str, str]]] = {d: [] for (d,) in logged}
                for chunk_id, doc_id, terms in self._chunk_terms(list(documents)):
                    documents[doc_id].append((chunk_id, terms))
            if head <= applied:
                return
            crash_point("before_postings")
            self.postings.replace(documents.items(), generation, head)
        with self._transaction() as db:
            db.execute("DELETE FROM changes WHERE seq <= ?", (head,))

    def _chunk_terms(self, doc_ids: list[str] | None = None) -> Iterator[tuple[str, str, str]]:
        """``(chunk id, doc id, terms)`` of every chunk, or of these documents' chunks; the
        caller holds the lock."""
        sql = "SELECT chunk_id, doc_id, text, meta FROM chunks"
        args: tuple[str, ...] = ()
        if doc_ids is not None:
            sql += " WHERE doc_id IN (SELECT value FROM json_each(?))"
            args = (json.dumps(doc_ids),)
        for chunk_id, doc_id, text, meta in self._db.execute(sql, args):
            yield str(chunk_id), str(doc_id), _terms(text, meta)

    # Searching ---------------------------------------------------------------------------------

    def search(
        self,
        question: str,
        n: int,
        doc_ids: Iterable[str] | None = None,
        excluded: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Ids of up to ``n`` chunks sharing terms with ``question`` (of ``doc_ids`` only, if
        given; of no document in ``excluded``), best BM25 score first (scores are positive;
        higher is better)."""
        tokens = question_tokens(question)
        wanted = None if doc_ids is None else sorted(set(doc_ids))
        if not tokens or n <= 0 or wanted == []:
            return []
        return self.postings.search(tokens, n, wanted, excluded)
