"""Numbered migrations of the lexical index's SQLite file, applied in order on opening.

The file records in SQLite's ``user_version`` the number of the last migration it has had:
a file written before migrations were numbered reads 0 and goes through all of them, so each
is written to be harmless on a file that already has what it adds. Each migration runs in its
own ``BEGIN IMMEDIATE`` transaction together with the version bump, so two processes opening
an old file at once apply it once, and a crash midway leaves the previous version.

Most migrations need nothing but the file; one that needs the store's chunks (m004, on a file
written before it kept each chunk's text) runs only when the store opens the file
(``ChunkStore.open``) and passes them: until then the file stays at the version before it.

To change the file's layout, or what its postings hold (a new analyzer), add the next
``mNNN_`` function and its entry in ``MIGRATIONS``; a migration that makes the postings
stale gives the file a new generation (:func:`new_generation`): postings of another
generation are rebuilt from the file's chunks when the store opens it (or by the writer busy
then).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ingest.records import Chunk, chunk_metadata

ChunkSource = Callable[[Sequence[str]], Mapping[str, Chunk]]
"""The store's chunks by id (``ChunkStore.chunks_by_id``)."""

GENERATION = "generation"
"""The ``meta`` key of a random id that the postings' marker repeats: postings of another
SQLite file (one deleted and made again, or cleared, or migrated) are rebuilt, not trusted."""
TEXTS = "texts"
"""The ``meta`` key saying that every chunk's text and metadata are stored."""
ANALYZER = "analyzer"
"""The ``meta`` key of the ``ANALYZER_VERSION`` the postings were built with."""
ANALYZER_VERSION = 2
"""Version of the analysis ``chunk_terms`` applies (``ingest.text.index_terms``), bumped with
every change to it, together with a migration that rebuilds the postings (as m005 does):
1: a light English and French suffix stripper; 2: the project's one stemmer (Snowball English)
and its stop words."""
FILL_PAGE = 2000
"""Chunks whose text is read from the store at once (m004)."""


def new_generation(db: sqlite3.Connection) -> None:
    """Gives the file a new ``GENERATION``: postings written for the old one are rebuilt."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (GENERATION, uuid.uuid4().hex))


def record_analyzer(db: sqlite3.Connection) -> None:
    """Records that the postings of the current generation use ``ANALYZER_VERSION``."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (ANALYZER, str(ANALYZER_VERSION)))


def flag(db: sqlite3.Connection, key: str) -> None:
    """Records in ``meta`` that what ``key`` names holds."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (key,))


def flagged(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None


def chunk_meta_json(chunk: Chunk) -> str:
    """A chunk's metadata as the file's ``chunks.meta`` column holds it."""
    return json.dumps(chunk_metadata(chunk), ensure_ascii=False)


def m001_tables(db: sqlite3.Connection, source: ChunkSource | None) -> None:
    """The record of the indexed documents and chunks, its state, and the change log."""
    db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS documents(doc_id TEXT PRIMARY KEY, doc_hash TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS chunks("
        "row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS chunks_of_document ON chunks(doc_id)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS changes("
        "seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL)"
    )


def m002_drop_fts5(db: sqlite3.Connection, source: ChunkSource | None) -> None:
    """Drops what an index written with SQLite FTS5 held (its postings and term counts) and
    gives the file its generation, so the postings are built from ``chunks``."""
    for table in ("chunk_vocab", "chunk_terms", "term_counts"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute("DELETE FROM meta WHERE key = 'term_counts'")
    if not flagged(db, GENERATION):
        new_generation(db)


def m003_chunk_text_columns(db: sqlite3.Connection, source: ChunkSource | None) -> None:
    """Adds each chunk's text and metadata (JSON), so a search reads its hits from this file;
    a file holding no chunk has nothing to fill (m004)."""
    present = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
    for column in ("text", "meta"):
        if column not in present:
            db.execute(f"ALTER TABLE chunks ADD COLUMN {column} TEXT")
    if not db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
        flag(db, TEXTS)


def m004_fill_chunk_texts(db: sqlite3.Connection, source: ChunkSource | None) -> None:
    """Copies each indexed chunk's text and metadata from the store (a read of every chunk,
    by id, a page at a time), then records that every chunk has them."""
    if flagged(db, TEXTS):
        return
    if source is None:
        raise StoreNeeded("m004 reads the chunks' texts from the store: pass its chunks_by_id")
    after = 0
    while not flagged(db, TEXTS):
        missing = db.execute(
            "SELECT row, chunk_id FROM chunks WHERE row > ? AND text IS NULL ORDER BY row LIMIT ?",
            (after, FILL_PAGE),
        ).fetchall()
        found = source([str(chunk_id) for _, chunk_id in missing]).values()
        db.executemany(
            "UPDATE chunks SET text = ?, meta = ? WHERE chunk_id = ?",
            [(c.text, chunk_meta_json(c), c.id) for c in found],
        )
        if len(missing) < FILL_PAGE:
            flag(db, TEXTS)
        else:
            after = int(missing[-1][0])


def m005_analyzer_2(db: sqlite3.Connection, source: ChunkSource | None) -> None:
    """Postings built with another analysis than ``ANALYZER_VERSION`` 2 (the project's one
    stemmer) are rebuilt: a new generation (their SQLite record does not depend on it)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (ANALYZER,)).fetchone()
    if row is None or row[0] != str(ANALYZER_VERSION):
        new_generation(db)
        record_analyzer(db)


class StoreNeeded(Exception):
    """A migration needs the store's chunks and none were given: the file stays at the version
    before it until the store opens it."""


@dataclass(frozen=True)
class Migration:
    number: int
    apply: Callable[[sqlite3.Connection, ChunkSource | None], None]


MIGRATIONS = (
    Migration(1, m001_tables),
    Migration(2, m002_drop_fts5),
    Migration(3, m003_chunk_text_columns),
    Migration(4, m004_fill_chunk_texts),
    Migration(5, m005_analyzer_2),
)
LATEST = MIGRATIONS[-1].number


def version(db: sqlite3.Connection) -> int:
    """The number of the last migration the file has had."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def pending(db: sqlite3.Connection) -> list[Migration]:
    done = version(db)
    return [m for m in MIGRATIONS if m.number > done]


def migrate(db: sqlite3.Connection, source: ChunkSource | None = None) -> int:
    """Applies the migrations the file has not had, in order, up to (not including) one that
    needs the store's chunks if no ``source`` is given; returns the file's version."""
    for migration in pending(db):
        try:
            _apply(db, migration, source)
        except StoreNeeded:
            break
    return version(db)


def _apply(db: sqlite3.Connection, migration: Migration, source: ChunkSource | None) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        if version(db) < migration.number:  # another process may have applied it meanwhile
            migration.apply(db, source)
            db.execute(f"PRAGMA user_version = {int(migration.number)}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
