"""Real ``citewise ingest`` runs killed with SIGKILL at each write stage, then recovered, and
two real ingests racing on one index.

The kill comes from the process itself (CITEWISE_TEST_CRASH_AT, see ingest.crash),
so each test hits exactly the instant it names. After the kill, readers must still see a
consistent index, lexical index included; after the next run, both must be exactly what a
clean run produces.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.chunker import chunk_document
from ingest.crash import CRASH_ENV
from ingest.loaders import load_document
from ingest.settings import Settings
from ingest.store import ChunkStore
from ingest.sync import content_hash, sync_paths

pytestmark = pytest.mark.slow

CITEWISE = Path(sys.executable).with_name("citewise")
PARAGRAPH = (
    "Sentence {i} of {name} tells about topic number {i}, which is described at some length "
    "so that the document needs several chunks."
)


def _text(name: str, sentences: int) -> str:
    return "\n\n".join(PARAGRAPH.format(i=i, name=name) for i in range(sentences)) + "\n"


def _expected_ids(folder: Path, settings: Settings) -> set[str]:
    """Chunk ids of a clean index of ``folder``, computed without embedding anything."""
    ids = set()
    for path in folder.iterdir():
        data = path.read_bytes()
        doc = load_document(path, data)
        chunks = chunk_document(
            doc, path.name, str(path.resolve()), settings.chunk_size, settings.chunk_overlap
        )
        ids |= {replace(c, doc_hash=content_hash(data)).id for c in chunks}
    return ids


def _assert_consistent(store: ChunkStore) -> None:
    """What readers see: every chunk belongs to its committed version, none missing; the
    lexical index shows one whole stored version of each document it holds."""
    records = {r.doc_id: r for r in store.documents()}
    chunks = store.all_chunks()
    for chunk in chunks:
        assert records[chunk.doc_id].content_hash == chunk.doc_hash
    for doc_id, record in records.items():
        assert [c.index for c in chunks if c.doc_id == doc_id] == list(range(record.chunks))
    stored = {c.id: c for c in store.stored_chunks()}
    indexed = store.lexical.documents()
    lexical_ids = store.lexical.chunk_ids()
    assert lexical_ids <= set(stored)
    for chunk_id in lexical_ids:
        assert indexed[stored[chunk_id].doc_id] == stored[chunk_id].doc_hash
    for doc_id, doc_hash in indexed.items():
        version = {i for i, c in stored.items() if (c.doc_id, c.doc_hash) == (doc_id, doc_hash)}
        assert version <= lexical_ids


def _assert_exact(store: ChunkStore, folder: Path, settings: Settings) -> None:
    """The index is what a clean run over ``folder`` produces, lexical index included."""
    _assert_consistent(store)
    expected = _expected_ids(folder, settings)
    assert {c.id for c in store.stored_chunks()} == expected
    hashes = {p.name: content_hash(p.read_bytes()) for p in folder.iterdir()}
    assert {r.doc_id: r.content_hash for r in store.documents()} == hashes
    assert store.lexical.documents() == hashes
    assert store.lexical.chunk_ids() == expected
    assert store.lexical.chunks(expected) == {c.id: c for c in store.all_chunks()}
    assert store.lexical.synced() == store.revision()
    assert store.lexical.postings.chunk_ids() == expected


@pytest.mark.parametrize(
    "stage",
    [
        "mid_embed",
        "after_add",
        "after_commit",
        "before_postings",
        "after_lexical",
        "after_record_delete",
    ],
)
def test_run_killed_at_any_stage_is_repaired_exactly_by_the_next_run(
    stage: str, tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("changed", "kept", "removed"):
        (folder / f"{name}.txt").write_text(_text(name, 12))
    sync_paths([folder], settings)
    before = {c.id for c in ChunkStore.open(settings).stored_chunks()}
    (folder / "changed.txt").write_text(_text("changed again", 14))
    (folder / "removed.txt").unlink()
    (folder / "new.txt").write_text(_text("new", 10))

    env = {**os.environ, CRASH_ENV: stage, "CITEWISE_EMBEDDING_BATCH_SIZE": "1"}
    run = subprocess.run(
        [str(CITEWISE), "ingest", str(folder), "--store", str(settings.store_dir), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr

    crashed = ChunkStore.open(settings)
    _assert_consistent(crashed)
    left = {c.id for c in crashed.stored_chunks()}
    visible = {c.id for c in crashed.all_chunks()}
    if stage == "mid_embed":
        assert left == visible == before
    else:
        assert left > visible, "the kill should have left chunks for the next run to clean"
    # A reader brings the postings in line with what the lexical index committed.
    assert crashed.catch_up(wait=False)
    assert crashed.lexical.postings.chunk_ids() == crashed.lexical.chunk_ids()
    sync_paths([folder], settings)

    store = ChunkStore.open(settings)
    _assert_exact(store, folder, settings)
    assert store.repair() == set()


def _ingest(folder: Path, settings: Settings) -> subprocess.Popen[str]:
    command = [str(CITEWISE), "ingest", str(folder), "--store", str(settings.store_dir), "-q"]
    env = {**os.environ, "CITEWISE_EMBEDDING_BATCH_SIZE": "1"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


REPORTS = 12
"""Enough documents for the first ingest to still hold the lock when the second starts."""


def test_two_ingests_into_one_index_at_once_lose_nothing(
    tmp_path: Path, settings: Settings
) -> None:
    big, other = tmp_path / "big", tmp_path / "other"
    big.mkdir()
    other.mkdir()
    for i in range(REPORTS):
        (big / f"report-{i}.txt").write_text(_text(f"report {i}", 12))
    (other / "note.txt").write_text(_text("the other note", 6))
    sync_paths([other], settings)
    lock = ChunkStore.open(settings).lock

    first = _ingest(big, settings)
    deadline = time.monotonic() + 120
    while not lock.holder() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _ingest(other, settings)
    out_second = second.communicate(timeout=600)
    out_first = first.communicate(timeout=600)

    assert (first.returncode, second.returncode) == (0, 0), (out_first, out_second)
    assert "Waiting for the index" in out_second[1] and "ingest" in out_second[1]
    store = ChunkStore.open(settings)
    _assert_consistent(store)
    expected = _expected_ids(big, settings) | _expected_ids(other, settings)
    assert {c.id for c in store.stored_chunks()} == expected
    assert store.lexical.chunk_ids() == expected
    for i in range(REPORTS):
        sentence = PARAGRAPH.format(i=11, name=f"report {i}")
        [(chunk_id, _)] = store.lexical.search(sentence, 1)
        assert chunk_id.startswith(f"report-{i}.txt#")
