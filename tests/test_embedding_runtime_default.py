"""The embedding runtime left unset: a new index of a model ONNX Runtime can run is embedded
on it (no torch to answer a question), of another model on torch; an index built on
another runtime keeps its own through searches, syncs and rebuilds, and an empty one follows
the default; a runtime set explicitly is still checked against the index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from parts import PartsFor
from test_cold_start import imported_after

from app.cli import cli
from app.composition import Models
from ingest.embedder import new_index_runtime, resolve_model
from ingest.errors import IndexSettingsMismatch
from ingest.runtime import EmbeddingRuntime
from ingest.runtime.encoders import onnx_unsupported
from ingest.settings import PACKAGED_EMBEDDING_MODEL, Settings
from ingest.store import ChunkStore
from ingest.store.index_settings import SETTING_PREFIX
from ingest.sync import sync_paths
from retriever.hybrid import HybridRetriever

TIDES = "The Moon's pull raises the tides twice a day.\n"
BEES = "Bees make honey from the nectar of flowers.\n"
QUESTION = "What causes the tides?"


def _docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tides.txt").write_text(TIDES)
    (folder / "bees.txt").write_text(BEES)
    return folder


def _on(settings: Settings, runtime: EmbeddingRuntime) -> Settings:
    return settings.model_copy(update={"embedding_runtime": runtime})


def _built_with(settings: Settings) -> object:
    return ChunkStore.open_existing(settings).built_with()["embedding_runtime"]


@pytest.fixture
def torch_built(settings: Settings, tmp_path: Path, models: Models) -> Settings:
    """Settings naming an index of two documents built with the runtime set to torch."""
    built = _on(settings, EmbeddingRuntime.TORCH)
    assert sync_paths([_docs(tmp_path)], built, embedder=models.embedder(built)).added == 2
    return built


def test_a_new_index_records_onnx_and_is_searched_without_torch(
    settings: Settings, tmp_path: Path
) -> None:
    # Ingesting here also makes the ONNX export if the model cache lacks it (that needs torch).
    assert settings.embedding_runtime is None
    assert sync_paths([_docs(tmp_path)], settings).added == 2
    assert _built_with(settings) == "onnx"

    modules = imported_after(
        "from app.composition import Components\n"
        "from ingest.settings import load_settings\n"
        f"parts = Components(load_settings(store_dir={str(settings.store_dir)!r}))\n"
        f"[top, *_] = parts.retriever.search({QUESTION!r})\n"
        "assert top.doc_id == 'tides.txt', top\n"
        "assert parts.embedder.runtime == 'onnx', parts.embedder.runtime\n"
        "parts.close()"
    )
    assert "onnxruntime" in modules
    assert not modules & {"torch", "sentence_transformers", "transformers"}


def test_an_index_built_on_torch_is_searched_on_torch_when_the_setting_is_unset(
    settings: Settings, torch_built: Settings, models: Models, parts_for: PartsFor
) -> None:
    store = ChunkStore.open(settings)
    store.check_settings()
    assert store.settings == torch_built

    parts = parts_for(settings)
    assert parts.embedder is models.embedder(torch_built)
    on_torch = HybridRetriever(
        ChunkStore.open(torch_built), models.embedder(torch_built), torch_built
    )
    found = parts.retriever.search(QUESTION)
    assert found == on_torch.search(QUESTION)
    assert found[0].doc_id == "tides.txt"
    on_torch.close()


def test_an_index_from_before_the_runtime_was_recorded_keeps_torch(
    settings: Settings, torch_built: Settings
) -> None:
    chunks = ChunkStore.open(settings)._chunks
    recorded = {k: v for k, v in (chunks.metadata or {}).items() if not k.endswith("_runtime")}
    chunks.modify(metadata=recorded)
    assert f"{SETTING_PREFIX}embedding_runtime" not in ChunkStore.open(settings)._chunks.metadata

    assert ChunkStore.open(settings).settings == torch_built


def test_syncing_and_rebuilding_a_torch_index_with_the_setting_unset_keep_torch(
    settings: Settings, torch_built: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    (folder / "gannets.txt").write_text("Gannets dive for fish.\n")
    assert sync_paths([folder], settings).added == 1
    assert _built_with(settings) == "torch"

    (folder / "puffins.txt").write_text("Puffins nest in burrows.\n")
    command = ["ingest", str(folder), "--store", str(settings.store_dir), "--rebuild", "--quiet"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert _built_with(settings) == "torch"
    assert len(ChunkStore.open(settings).documents()) == 4


def test_an_embedder_of_another_runtime_than_the_index_is_refused(
    settings: Settings, torch_built: Settings, tmp_path: Path, models: Models
) -> None:
    (tmp_path / "docs" / "gannets.txt").write_text("Gannets dive for fish.\n")
    on_onnx = models.embedder(settings)
    assert on_onnx.runtime is EmbeddingRuntime.ONNX
    with pytest.raises(IndexSettingsMismatch, match="runs on onnx.*embedded on torch"):
        sync_paths([tmp_path / "docs"], settings, embedder=on_onnx)
    assert len(ChunkStore.open(settings).documents()) == 2


def test_a_runtime_set_on_a_torch_index_still_asks_for_a_rebuild(
    settings: Settings, torch_built: Settings, tmp_path: Path
) -> None:
    int8 = _on(settings, EmbeddingRuntime.ONNX_INT8)
    store = ChunkStore.open(int8)
    assert store.settings.embedding_runtime is EmbeddingRuntime.ONNX_INT8
    with pytest.raises(IndexSettingsMismatch, match="embedding_runtime was 'torch'.*--rebuild"):
        store.check_settings()
    with pytest.raises(IndexSettingsMismatch, match="--rebuild"):
        sync_paths([tmp_path / "docs"], int8)


def test_an_empty_index_follows_the_setting_or_the_default(
    settings: Settings, torch_built: Settings
) -> None:
    emptied = ChunkStore.open(settings)
    for record in emptied.documents():
        emptied.remove(record.doc_id)

    store = ChunkStore.open(settings)
    assert store.settings.embedding_runtime is EmbeddingRuntime.ONNX
    store.check_settings()
    assert _built_with(settings) == "onnx"

    int8 = ChunkStore.open(_on(settings, EmbeddingRuntime.ONNX_INT8))
    int8.check_settings()
    assert _built_with(settings) == "onnx-int8"


def test_a_new_index_follows_a_runtime_set(settings: Settings) -> None:
    store = ChunkStore.open(_on(settings, EmbeddingRuntime.TORCH))
    assert store.settings.embedding_runtime is EmbeddingRuntime.TORCH
    assert _built_with(settings) == "torch"


def test_a_rebuild_on_a_chroma_server_keeps_the_runtime_of_its_index(
    chroma_server: str, settings: Settings, tmp_path: Path, models: Models
) -> None:
    server = settings.model_copy(update={"chroma_url": chroma_server})
    on_torch = _on(server, EmbeddingRuntime.TORCH)
    folder = _docs(tmp_path)
    assert sync_paths([folder], on_torch, embedder=models.embedder(on_torch)).added == 2

    # refused if the rebuild were to embed on another runtime than the index's
    rebuilt = sync_paths([folder], server, rebuild=True, embedder=models.embedder(on_torch))

    assert rebuilt.added == 2
    assert _built_with(server) == "torch"
    assert ChunkStore.open(server).settings == on_torch


def test_a_new_index_of_a_model_onnx_runtime_cannot_run_is_embedded_on_torch(
    tmp_path: Path,
) -> None:
    packaged = Path(resolve_model(PACKAGED_EMBEDDING_MODEL))
    assert new_index_runtime(PACKAGED_EMBEDDING_MODEL) is EmbeddingRuntime.ONNX
    assert new_index_runtime(str(packaged)) is EmbeddingRuntime.ONNX
    # a Hugging Face name: only sentence-transformers on torch can fetch and load it
    assert new_index_runtime("sentence-transformers/all-mpnet-base-v2") is EmbeddingRuntime.TORCH
    cls_pooled = tmp_path / "cls-model"
    shutil.copytree(packaged, cls_pooled)
    pooling = cls_pooled / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    pooling.write_text(json.dumps(config))
    assert onnx_unsupported(str(cls_pooled)) is not None
    assert new_index_runtime(str(cls_pooled)) is EmbeddingRuntime.TORCH
