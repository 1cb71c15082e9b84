"""Searches never take the index's write lock: a reader that finds the lexical index behind
(a run killed between its commit and the lexical update, a postings write that failed) reads
the committed record instead, and the next writer catches the index up. So a search while
another process holds the lock (a long ingest) returns at once and sees what is committed."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import ROOT

from app.composition import Models
from ingest.errors import StoreError
from ingest.lock import WriteLock
from ingest.records import Chunk, DocumentRecord
from ingest.settings import Settings
from ingest.store import ChunkStore, NewVersion
from ingest.sync import sync_paths
from retriever.lexical import LexicalSearch

HOLD_LOCK = """
import sys, time
from pathlib import Path
from ingest.lock import WriteLock

with WriteLock(Path(sys.argv[1])).hold():
    print("held", flush=True)
    time.sleep(600)
"""
PENGUINS = "Penguins swim in the Antarctic ocean; the colony carries the code PX-42."
SEARCH_SECONDS = 60
"""Far less than the other process holds the lock: a search that waited for it would fail."""


@contextlib.contextmanager
def _held_by_another_process(lock: WriteLock) -> Iterator[None]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", HOLD_LOCK, str(lock.path)]
    holder = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def _indexed(settings: Settings, tmp_path: Path) -> ChunkStore:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Ostriches cannot fly, but they run fast.")
    (folder / "b.txt").write_text("Kiwis lay huge eggs for their size.")
    sync_paths([folder], settings)
    return ChunkStore.open(settings)


def _penguins() -> tuple[DocumentRecord, Chunk]:
    digest = "p" * 64
    chunk = Chunk("c.txt", 0, PENGUINS, 0, len(PENGUINS), "c", "/data/c.txt", doc_hash=digest)
    return DocumentRecord("c.txt", "c", "/data/c.txt", digest, 1, "2026", PENGUINS), chunk


def test_a_search_while_another_process_writes_sees_what_is_committed(
    settings: Settings, tmp_path: Path, models: Models
) -> None:
    """A document committed in Chroma that the lexical index does not hold yet (what a run
    killed right after its commit leaves) is found, lexically and densely, without the lock."""
    store = _indexed(settings, tmp_path)
    embedder = models.embedder(settings)
    record, chunk = _penguins()
    store._log.journal(["c.txt"])
    store._catalog.add_chunks([chunk], embedder.embed_documents([PENGUINS]))
    store._catalog.commit([record])
    store._log.bump()
    synced = store.lexical.synced()
    assert synced != store.revision() and "c.txt" not in store.lexical.documents()

    with _held_by_another_process(store.lock):
        started = time.monotonic()
        reader = ChunkStore.open(settings)
        lexical = LexicalSearch(reader)
        lexical.refresh()
        lexical_hits = lexical.search("PX-42 penguins", 3)
        [(dense_hit, _)] = reader.query(embedder.embed_query(PENGUINS), 1)
        ostriches = lexical.search("ostriches", 3)
        assert time.monotonic() - started < SEARCH_SECONDS
        holder = reader.lock.holder()
        assert holder and f"pid {os.getpid()} " not in holder

    assert lexical_hits[0][0] == chunk and dense_hit == chunk
    assert [c.doc_id for c, _ in ostriches] == ["a.txt"]
    assert lexical.chunk_ids == {c.id for c in reader.all_chunks()}
    assert reader.lexical.synced() == synced, "a reader writes nothing"

    writer = ChunkStore.open(settings)
    assert writer.remove("b.txt")
    assert writer.lexical.synced() == writer.revision() and writer.lexical.postings_current()
    assert set(writer.lexical.documents()) == {"a.txt", "c.txt"}
    assert [i.split("#")[0] for i, _ in writer.lexical.search("PX-42", 1)] == ["c.txt"]


def test_a_search_finds_a_change_the_postings_do_not_hold_yet(
    settings: Settings, tmp_path: Path, models: Models
) -> None:
    """A new version committed and in the lexical record, whose postings write failed (another
    writer held tantivy's lock): a search reads it from the record, leaving the old version's
    postings out."""
    import tantivy

    store = _indexed(settings, tmp_path)
    old = store.chunks_of("b.txt")
    digest = "q" * 64
    replaced = Chunk("b.txt", 0, PENGUINS, 0, len(PENGUINS), "b", "/data/b.txt", doc_hash=digest)
    record = DocumentRecord("b.txt", "b", "/data/b.txt", digest, 1, "2026", PENGUINS)
    vectors = models.embedder(settings).embed_documents([PENGUINS])
    postings = tantivy.Index.open(str(store.lexical.postings.folder)).writer(num_threads=1)
    with pytest.raises(StoreError, match="Cannot write the lexical postings"):
        store.put([NewVersion(record, [replaced], vectors)])
    postings.rollback()
    postings.wait_merging_threads()
    assert not store.lexical.postings_current()

    with _held_by_another_process(store.lock):
        reader = ChunkStore.open(settings)
        lexical = LexicalSearch(reader)
        lexical.refresh()
        assert [c for c, _ in lexical.search("PX-42 penguins", 3)] == [replaced]
        assert lexical.search("kiwis eggs", 3) == []
        assert reader.committed_chunks([old[0].id, replaced.id]) == {replaced.id: replaced}
    assert not reader.lexical.postings_current(), "a reader writes nothing"
