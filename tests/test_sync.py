"""Incremental sync of folders and files into a real index with the real model."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from ingest.errors import IndexSettingsMismatch
from ingest.settings import Settings, load_settings
from ingest.store import ChunkStore
from ingest.sync import content_hash, sync_paths

ALPHA = "# Alpha\n\nAlpha particles are helium nuclei. They are stopped by paper.\n"
BETA = "Beta decay turns a neutron into a proton. It emits an electron.\n"
GAMMA = "Gamma rays are photons of high energy. Lead shields against them.\n"


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _state(store: ChunkStore) -> dict[str, tuple[str, int]]:
    """doc_id -> (hash, chunk count) for records, checked against the chunks present."""
    chunks = store.all_chunks()
    for chunk in chunks:
        assert store.document(chunk.doc_id).content_hash == chunk.doc_hash  # type: ignore[union-attr]
    records = {r.doc_id: (r.content_hash, r.chunks) for r in store.documents()}
    for doc_id, (_, count) in records.items():
        assert sorted(c.index for c in chunks if c.doc_id == doc_id) == list(range(count))
    return records


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    _write(folder, {"alpha.md": ALPHA, "sub/beta.txt": BETA})
    return folder


def test_first_sync_adds_every_file_with_relative_ids(folder: Path, settings: Settings) -> None:
    report = sync_paths([folder], settings)

    assert (report.added, report.failed, report.chunks) == (2, [], 2)
    store = ChunkStore.open(settings)
    assert _state(store) == {
        "alpha.md": (content_hash(ALPHA.encode()), 1),
        "sub/beta.txt": (content_hash(BETA.encode()), 1),
    }
    alpha = store.chunks_of("alpha.md")[0]
    assert alpha.source == str((folder / "alpha.md").resolve())
    assert alpha.id == f"alpha.md#{content_hash(ALPHA.encode())[:12]}#0"
    record = store.document("alpha.md")
    assert record is not None and record.text[alpha.start : alpha.end] == alpha.text


def test_resync_adds_changes_and_removes_exactly(folder: Path, settings: Settings) -> None:
    sync_paths([folder], settings)
    (folder / "alpha.md").write_text(ALPHA + "\nAlpha decay lowers the atomic number.\n")
    (folder / "sub" / "beta.txt").unlink()
    _write(folder, {"gamma.txt": GAMMA})

    report = sync_paths([folder], settings)

    statuses = {f.doc_id: f.status for f in report.files}
    assert statuses == {"alpha.md": "updated", "sub/beta.txt": "removed", "gamma.txt": "added"}
    state = _state(ChunkStore.open(settings))
    assert sorted(state) == ["alpha.md", "gamma.txt"]
    assert state["alpha.md"][0] == content_hash((folder / "alpha.md").read_bytes())


def test_unchanged_files_are_skipped_without_loading_the_model(
    folder: Path, tmp_path: Path
) -> None:
    settings = load_settings(store_dir=tmp_path / "store", embedding_batch_size=7)
    sync_paths([folder], settings)
    before = ChunkStore.open(settings).revision()

    with (
        mock.patch("sentence_transformers.SentenceTransformer") as model,
        mock.patch("ingest.loaders.load_document") as parse,
    ):
        report = sync_paths([folder], settings)

    model.assert_not_called()
    parse.assert_not_called()
    assert (report.unchanged, report.chunks, report.files[0].status) == (2, 0, "unchanged")
    assert ChunkStore.open(settings).revision() == before


def test_without_prune_files_gone_stay_indexed(folder: Path, settings: Settings) -> None:
    sync_paths([folder], settings)
    (folder / "alpha.md").unlink()
    sync_paths([folder], settings, prune=False)
    assert "alpha.md" in _state(ChunkStore.open(settings))


def test_syncing_one_folder_keeps_documents_of_another(tmp_path: Path, settings: Settings) -> None:
    _write(tmp_path / "a", {"one.txt": BETA})
    _write(tmp_path / "b", {"two.txt": GAMMA})
    sync_paths([tmp_path / "a"], settings)
    sync_paths([tmp_path / "b"], settings)
    assert sorted(_state(ChunkStore.open(settings))) == ["one.txt", "two.txt"]


def test_single_file_is_indexed_under_its_name(folder: Path, settings: Settings) -> None:
    report = sync_paths([folder / "sub" / "beta.txt"], settings)
    assert [(f.doc_id, f.status) for f in report.files] == [("beta.txt", "added")]


def test_same_document_id_from_two_places_is_refused_for_the_second(
    tmp_path: Path, settings: Settings
) -> None:
    _write(tmp_path / "a", {"same.txt": BETA})
    _write(tmp_path / "b", {"same.txt": GAMMA})
    report = sync_paths([tmp_path / "a", tmp_path / "b"], settings)
    assert report.added == 1
    first, second = tmp_path / "a" / "same.txt", tmp_path / "b" / "same.txt"
    assert report.failed == [(str(second), f"document id 'same.txt' is already used by {first}")]


def test_changed_chunking_needs_rebuild_which_reembeds_everything(
    folder: Path, settings: Settings
) -> None:
    sync_paths([folder], settings)
    other = load_settings(store_dir=settings.store_dir, chunk_overlap=100)

    with pytest.raises(IndexSettingsMismatch, match="chunk_overlap was 200, now 100"):
        sync_paths([folder], other)

    report = sync_paths([folder], other, rebuild=True)
    assert report.added == 2
    store = ChunkStore.open(other)
    assert store.built_with()["chunk_overlap"] == 100 and len(_state(store)) == 2


def test_progress_reports_files_and_embedding(folder: Path, settings: Settings) -> None:
    seen: list[tuple[str, int, int]] = []
    sync_paths([folder], settings, progress=lambda *event: seen.append(event))
    assert ("files", 2, 2) in seen and ("embed", 2, 2) in seen
