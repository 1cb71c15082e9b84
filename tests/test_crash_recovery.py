"""Real ``citewise ingest`` runs killed with SIGKILL at each write stage, then recovered.

The kill comes from the process itself (CITEWISE_TEST_CRASH_AT, see ingest.store.crash_point),
so each test hits exactly the instant it names. After the kill, readers must still see a
consistent index; after the next run, the index must be exactly what a clean run produces.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.chunker import chunk_document
from ingest.loaders import load_document
from ingest.settings import Settings
from ingest.store import CRASH_ENV, ChunkStore
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
    """What readers see: every chunk belongs to its committed version, none missing."""
    records = {r.doc_id: r for r in store.documents()}
    chunks = store.all_chunks()
    for chunk in chunks:
        assert records[chunk.doc_id].content_hash == chunk.doc_hash
    for doc_id, record in records.items():
        assert [c.index for c in chunks if c.doc_id == doc_id] == list(range(record.chunks))


@pytest.mark.parametrize("stage", ["mid_embed", "after_add", "after_commit", "after_record_delete"])
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
    sync_paths([folder], settings)

    store = ChunkStore.open(settings)
    _assert_consistent(store)
    assert {c.id for c in store.stored_chunks()} == _expected_ids(folder, settings)
    assert {r.doc_id: r.content_hash for r in store.documents()} == {
        p.name: content_hash(p.read_bytes()) for p in folder.iterdir()
    }
    assert store.repair() == set()
