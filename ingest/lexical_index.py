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
log: the next writer (or a reader that finds the postings behind, taking the store's write
lock) replays it, reading those documents' chunks from SQLite. Postings lost or never built
(an index written before they existed) are rebuilt from SQLite's chunks, without Chroma.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest.crash import crash_point
from ingest.errors import StoreError
from ingest.faults import is_damaged
from ingest.postings import Postings
from ingest.records import Chunk, chunk_from, chunk_metadata
from ingest.text.index_terms import index_terms

FILE_NAME = "lexical.sqlite3"
POSTINGS_SUFFIX = ".postings"
"""The postings folder is the SQLite file's path with this suffix added."""
PAIR_JOINER = "_"
"""Neighbouring-term pairs become one token: "steam engine" -> "steam_engine"."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(doc_id TEXT PRIMARY KEY, doc_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
    text TEXT, meta TEXT);
CREATE INDEX IF NOT EXISTS chunks_of_document ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL);
"""
_FTS5_LEFTOVERS = (
    "DROP TABLE IF EXISTS chunk_vocab",
    "DROP TABLE IF EXISTS chunk_terms",
    "DROP TABLE IF EXISTS term_counts",
    "DELETE FROM meta WHERE key = 'term_counts'",
)
"""What an index written with SQLite FTS5 held besides (its postings and term counts): dropped
when such an index is opened; the postings are then rebuilt from ``chunks``."""
CHUNK_COLUMNS = ("text", "meta")
"""The chunk's text and its metadata (JSON), so a search reads its hits from this file: an
index written before they existed has them added and filled once (``ChunkStore``)."""
TEXTS = "texts"
"""The ``meta`` key saying that every chunk's text and metadata are stored."""
ANALYZER = "analyzer"
"""The ``meta`` key of the ``ANALYZER_VERSION`` the postings were built with."""
ANALYZER_VERSION = 2
"""Version of the analysis ``chunk_terms`` applies (``ingest.text.index_terms``), bumped with
every change to it: postings built with another version are rebuilt from ``chunks``.
1: a light English and French suffix stripper; 2: the project's one stemmer (Snowball English)
and its stop words."""
GENERATION = "generation"
"""The ``meta`` key of a random id that the postings' marker repeats: postings of another
SQLite file (one deleted and made again, or cleared) are rebuilt, not trusted."""


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


def _meta_json(chunk: Chunk) -> str:
    return json.dumps(chunk_metadata(chunk), ensure_ascii=False)


def _flagged(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None


def _new_generation(db: sqlite3.Connection) -> None:
    """Gives the file a new ``GENERATION``: postings written for the old one are rebuilt."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (GENERATION, uuid.uuid4().hex))


def _record_analyzer(db: sqlite3.Connection) -> None:
    """Records that the postings of the current generation use ``ANALYZER_VERSION``."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (ANALYZER, str(ANALYZER_VERSION)))


def _flag(db: sqlite3.Connection, key: str) -> None:
    """Records in ``meta`` that what ``key`` names (``TEXTS``) holds."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (key,))


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
        self._db.executescript(_SCHEMA)
        self._add_chunk_columns()
        self._upgrade_from_fts5()
        self._follow_analyzer()

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

    def _upgrade_from_fts5(self) -> None:
        """Drops an FTS5 index's tables and gives the file its generation, once."""
        with self._transaction() as db:
            if _flagged(db, GENERATION):
                return
            _new_generation(db)
            for statement in _FTS5_LEFTOVERS:
                db.execute(statement)

    def _follow_analyzer(self) -> None:
        """Gives the file a new generation when its postings were built with another analyzer,
        so they are rebuilt with this one (their SQLite record does not depend on it)."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (ANALYZER,)).fetchone()
            if row is not None and row[0] == str(ANALYZER_VERSION):
                return
            _new_generation(db)
            _record_analyzer(db)

    def _add_chunk_columns(self) -> None:
        """Adds the chunk text columns to an index written before them (the store fills them);
        an empty index has nothing to fill."""
        with self._transaction() as db:
            present = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
            for column in CHUNK_COLUMNS:
                if column not in present:
                    db.execute(f"ALTER TABLE chunks ADD COLUMN {column} TEXT")
            if not db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
                _flag(db, TEXTS)

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

    def texts_stored(self) -> bool:
        """Whether every chunk's text and metadata are stored (see :meth:`store_texts`)."""
        with self._lock:
            return _flagged(self._db, TEXTS)

    def without_text(self, after: int, limit: int) -> list[tuple[int, str]]:
        """``(row, chunk id)`` of up to ``limit`` chunks past row ``after`` whose text is not
        stored yet (an index written before it was), in row order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT row, chunk_id FROM chunks WHERE row > ? AND text IS NULL"
                " ORDER BY row LIMIT ?",
                (after, limit),
            ).fetchall()
        return [(int(row), str(chunk_id)) for row, chunk_id in rows]

    def store_texts(self, chunks: Iterable[Chunk], *, complete: bool = False) -> None:
        """Stores the text and metadata of these already indexed chunks; ``complete``: and
        records that no chunk lacks them now."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE chunks SET text = ?, meta = ? WHERE chunk_id = ?",
                [(c.text, _meta_json(c), c.id) for c in chunks],
            )
            if complete:
                _flag(db, TEXTS)

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
                    [(c.id, doc_id, c.text, _meta_json(c)) for c in chunks],
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
            _new_generation(db)
            _record_analyzer(db)
            _flag(db, TEXTS)
        self.update_postings()

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
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """Ids of up to ``n`` chunks sharing terms with ``question`` (of ``doc_ids`` only, if
        given), best BM25 score first (scores are positive; higher is better)."""
        tokens = question_tokens(question)
        wanted = None if doc_ids is None else sorted(set(doc_ids))
        if not tokens or n <= 0 or wanted == []:
            return []
        return self.postings.search(tokens, n, wanted)
