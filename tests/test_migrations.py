"""The lexical index's numbered migrations: each one from a file in the layout it upgrades
(written here by hand, as the old code wrote it), and each harmless on a file that already
has what it adds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest import migrations
from ingest.lexical_index import LexicalIndex
from ingest.migrations import (
    ANALYZER,
    GENERATION,
    LATEST,
    MIGRATIONS,
    TEXTS,
    StoreNeeded,
    migrate,
    version,
)
from ingest.records import Chunk, DocumentRecord
from ingest.settings import Settings
from ingest.store import ChunkStore, NewVersion

TEXTS_OF = {
    "crane.txt": ["The ZQ-9184 crane lifts steel beams.", "Its cable was replaced."],
    "bread.txt": ["Bread rises with yeast."],
}


def _chunks(doc_id: str) -> list[Chunk]:
    return [
        Chunk(doc_id, i, text, 0, len(text), "Notes", f"/data/{doc_id}", doc_hash="a" * 64)
        for i, text in enumerate(TEXTS_OF[doc_id])
    ]


def _old_tables(db: sqlite3.Connection) -> None:
    """The tables as the first lexical index wrote them: chunk ids, no texts."""
    db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("CREATE TABLE documents(doc_id TEXT PRIMARY KEY, doc_hash TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE chunks("
        "row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX chunks_of_document ON chunks(doc_id)")
    for doc_id in TEXTS_OF:
        db.execute("INSERT INTO documents VALUES (?, ?)", (doc_id, "a" * 64))
        db.executemany(
            "INSERT INTO chunks(chunk_id, doc_id) VALUES (?, ?)",
            [(c.id, doc_id) for c in _chunks(doc_id)],
        )


def _fts5_file(path: Path) -> None:
    """A lexical index written when its postings were SQLite FTS5 tables."""
    with sqlite3.connect(path) as db:
        _old_tables(db)
        db.execute("CREATE VIRTUAL TABLE chunk_terms USING fts5(terms)")
        db.execute("CREATE VIRTUAL TABLE chunk_vocab USING fts5vocab(chunk_terms, 'row')")
        db.execute("CREATE TABLE term_counts(term TEXT PRIMARY KEY, chunks INTEGER)")
        db.execute("INSERT INTO meta VALUES ('term_counts', '1')")
        db.execute("INSERT INTO meta VALUES ('synced', 'x/y')")


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master")}


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute("PRAGMA table_info(chunks)")]


def _meta(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())


def test_migrations_are_numbered_one_after_another() -> None:
    assert [m.number for m in MIGRATIONS] == list(range(1, LATEST + 1))
    assert [m.apply.__name__[:4] for m in MIGRATIONS] == [f"m{n:03d}" for n in range(1, LATEST + 1)]


def test_a_new_file_gets_every_migration_without_the_store(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.close()
    path = index.path
    assert version(sqlite3.connect(path)) == LATEST
    assert {"meta", "documents", "chunks", "changes"} <= _tables(path)
    assert _columns(path) == ["row", "chunk_id", "doc_id", "text", "meta"]
    assert set(_meta(path)) == {GENERATION, TEXTS, ANALYZER}, "an empty file has every text"


def test_m002_drops_an_fts5_index_and_m003_adds_the_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite3"
    _fts5_file(path)
    index = LexicalIndex(path)
    assert not _tables(path) & {"chunk_terms", "chunk_vocab", "term_counts"}
    meta = _meta(path)
    assert "term_counts" not in meta and GENERATION in meta and meta["synced"] == "x/y"
    assert _columns(path) == ["row", "chunk_id", "doc_id", "text", "meta"]
    assert TEXTS not in meta, "its chunks' texts are still to be copied from the store"
    assert version(sqlite3.connect(path)) == 3
    assert index.documents() == {"crane.txt": "a" * 64, "bread.txt": "a" * 64}
    assert index.chunks(c.id for c in _chunks("crane.txt")) == {}, "no text yet: no hit"


def test_m004_copies_the_chunk_texts_from_the_store(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file written before chunk texts: its chunks' texts are read from the store, a page
    at a time, when the store opens it."""
    monkeypatch.setattr(migrations, "FILL_PAGE", 2)
    store = ChunkStore.open(settings)
    chunks = [c for doc_id in TEXTS_OF for c in _chunks(doc_id)]
    store.put(
        [
            NewVersion(
                DocumentRecord(d, "Notes", f"/data/{d}", "a" * 64, len(TEXTS_OF[d]), "2024"),
                _chunks(d),
                [[1.0, float(i), 0.0] for i in range(len(TEXTS_OF[d]))],
            )
            for d in TEXTS_OF
        ]
    )
    store.lexical.close()
    path = store.lexical.path
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    _fts5_file(path)

    reopened = ChunkStore.open(settings)
    assert version(sqlite3.connect(path)) == LATEST
    assert TEXTS in _meta(path)
    assert reopened.lexical.chunks(c.id for c in chunks) == {c.id: c for c in chunks}


def test_m004_without_the_store_leaves_the_file_at_the_version_before(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite3"
    _fts5_file(path)
    with sqlite3.connect(path) as db:
        assert migrate(db) == 3
        with pytest.raises(StoreNeeded, match="chunks_by_id"):
            migrations.m004_fill_chunk_texts(db, None)


def test_every_migration_is_harmless_on_a_file_that_has_what_it_adds(tmp_path: Path) -> None:
    """A file written before migrations were numbered reads version 0: the migrations then
    find what they add already there, and keep its data and its generation (its postings
    stay valid)."""
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    chunks = _chunks("crane.txt")
    index.apply([("crane.txt", "a" * 64, chunks)])
    index.mark_synced("c/1")
    index.close()
    path = index.path
    before = _meta(path)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 0")
    with sqlite3.connect(path) as db:
        assert migrate(db, lambda ids: pytest.fail("nothing to copy")) == LATEST
        for migration in MIGRATIONS:  # each once more, by hand
            migration.apply(db, lambda ids: {})
        db.commit()
    assert _meta(path) == before
    again = LexicalIndex(path)
    assert again.chunks(c.id for c in chunks) == {c.id: c for c in chunks}
    assert again.postings_current() and [i for i, _ in again.search("ZQ-9184 crane", 5)] == [
        chunks[0].id
    ]


def test_m005_rebuilds_postings_built_with_the_first_analyzer(tmp_path: Path) -> None:
    """A file whose postings were built with analyzer 1 gets a new generation (its postings
    are rebuilt); one already on analyzer 2 keeps them."""
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.apply([("crane.txt", "a" * 64, _chunks("crane.txt"))])
    index.close()
    path = index.path
    assert LexicalIndex(path).postings_current(), "analyzer 2 already: postings kept"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = ?", (ANALYZER,))
        db.execute("PRAGMA user_version = 4")
    reopened = LexicalIndex(path)
    assert not reopened.postings_current() and _meta(path)[ANALYZER] == "2"
    reopened.update_postings()
    assert [i for i, _ in reopened.search("ZQ-9184 cranes", 5)] == [_chunks("crane.txt")[0].id]
