"""``--rebuild`` never loses the index: a failure or a kill at any point leaves one usable.

Kills come from the process itself (CITEWISE_TEST_CRASH_AT, see ingest.crash) at
each stage of a real ``citewise ingest --rebuild``: while embedding into the new index, once
it is complete but not swapped in, and right after the swap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.crash import CRASH_ENV
from ingest.errors import CitewiseError, EmbeddingModelError
from ingest.rebuild import staging_folder
from ingest.settings import Settings
from ingest.store import ChunkStore
from ingest.sync import sync_paths

CITEWISE = Path(sys.executable).with_name("citewise")
OLD = {"auk.txt": "The Auk lighthouse is 30 m tall.\n", "gannet.txt": "Gannets dive.\n"}
NEW = {"auk.txt": "The Auk lighthouse was painted red in 1990.\n", "puffin.txt": "Puffins.\n"}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def _rebuild(folder: Path, store: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CITEWISE), "ingest", str(folder), "--store", str(store), "--rebuild", "--quiet"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _texts(settings: Settings) -> dict[str, str]:
    store = ChunkStore.open_existing(settings)
    assert store.repair() == set()
    return {c.doc_id: c.text for c in store.all_chunks()}


@pytest.fixture
def built(tmp_path: Path, settings: Settings) -> Path:
    """An index of OLD, and NEW written in the folder for the rebuild to take in."""
    folder = _write(tmp_path / "docs", OLD)
    sync_paths([folder], settings)
    (settings.store_dir / "uploads").mkdir()
    (settings.store_dir / "uploads" / "kept.txt").write_text("uploaded")
    for name in OLD:
        (folder / name).unlink()
    return _write(folder, NEW)


def test_a_rebuild_whose_model_cannot_load_leaves_the_old_index(
    built: Path, settings: Settings
) -> None:
    missing_model = settings.model_copy(update={"embedding_model": "/nonexistent"})
    with pytest.raises(EmbeddingModelError, match="Cannot load embedding model"):
        sync_paths([built], missing_model, rebuild=True)

    assert _texts(settings) == {k: v.strip() for k, v in OLD.items()}
    assert not staging_folder(settings.store_dir).exists()


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["mid_embed", "rebuild_before_swap", "rebuild_after_swap"])
def test_a_rebuild_killed_at_any_point_leaves_a_whole_index_and_the_next_one_completes(
    stage: str, built: Path, settings: Settings
) -> None:
    run = _rebuild(built, settings.store_dir, **{CRASH_ENV: stage})
    assert run.returncode == -signal.SIGKILL, run.stderr

    expected_now = NEW if stage == "rebuild_after_swap" else OLD
    assert _texts(settings) == {k: v.strip() for k, v in expected_now.items()}

    again = sync_paths([built], settings, rebuild=True)
    assert not again.failed
    assert _texts(settings) == {k: v.strip() for k, v in NEW.items()}
    assert not staging_folder(settings.store_dir).exists()
    assert (settings.store_dir / "uploads" / "kept.txt").read_text() == "uploaded"


def test_an_open_store_reads_the_new_index_after_a_rebuild(built: Path, settings: Settings) -> None:
    reader = ChunkStore.open(settings)
    assert {r.doc_id for r in reader.documents()} == set(OLD)

    sync_paths([built], settings, rebuild=True)

    assert {r.doc_id for r in reader.documents()} == set(NEW)
    assert (settings.store_dir / "uploads" / "kept.txt").read_text() == "uploaded"


def test_a_rebuild_from_a_mistyped_path_changes_nothing(tmp_path: Path, settings: Settings) -> None:
    folder = _write(tmp_path / "docs", OLD)
    sync_paths([folder], settings)

    with pytest.raises(CitewiseError) as refused:
        sync_paths([tmp_path / "typo"], settings, rebuild=True)

    assert str(refused.value) == (
        f"Nothing was rebuilt: '{tmp_path / 'typo'}' does not exist "
        "(the index is as it was; check the paths)"
    )
    assert set(_texts(settings)) == set(OLD)
