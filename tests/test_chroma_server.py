"""The same ingest and query code against a real ``chroma run`` server (CITEWISE_CHROMA_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.composition import Models
from ingest.settings import load_settings
from ingest.store import ChunkStore
from ingest.sync import sync_paths

pytestmark = pytest.mark.slow


def test_ingest_sync_and_query_through_a_chroma_server(
    chroma_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: Models
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tides.txt").write_text("Tides are caused by the gravity of the Moon.\n")
    (folder / "bees.md").write_text("# Bees\n\nBees make honey from nectar.\n")
    monkeypatch.setenv("CITEWISE_CHROMA_URL", chroma_server)
    settings = load_settings(store_dir=tmp_path / "local")

    assert sync_paths([folder], settings).added == 2
    (folder / "bees.md").unlink()
    report = sync_paths([folder], settings)
    assert (report.unchanged, report.removed) == (1, 1)

    store = ChunkStore.open(settings)
    question = models.embedder(settings).embed_query("What causes tides?")
    [(chunk, similarity)] = store.query(question, 5)
    assert (chunk.doc_id, chunk.text) == (
        "tides.txt",
        "Tides are caused by the gravity of the Moon.",
    )
    assert 0.5 < similarity <= 1.0
    assert [r.doc_id for r in store.documents()] == ["tides.txt"]
    assert not (tmp_path / "local").exists()


def test_unreachable_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    from ingest.errors import StoreError

    settings = load_settings(store_dir=tmp_path, chroma_url="http://127.0.0.1:9")
    with pytest.raises(StoreError, match="Cannot reach the Chroma server at http://127.0.0.1:9"):
        ChunkStore.open(settings)
