"""The embedding runtimes: ONNX exports made from the packaged weights, checked by hash, and
vectors close to sentence-transformers' own on real text."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from paths import CORPUS, MODEL_CACHE

from ingest.embedder import Embedder, resolve_model
from ingest.errors import EmbeddingModelError, IndexSettingsMismatch
from ingest.runtime import EmbeddingRuntime
from ingest.runtime.encoders import Window, split_at_words
from ingest.runtime.export_cache import MANIFEST, file_digest
from ingest.runtime.exports import Precision, export_folder, exported_model
from ingest.settings import PACKAGED_EMBEDDING_MODEL, Settings
from ingest.store import ChunkStore
from ingest.sync import sync_paths

MODEL_DIR = Path(resolve_model(PACKAGED_EMBEDDING_MODEL))


def _corpus_passages() -> list[str]:
    """Paragraphs of the bundled corpus, alone and four at a time (chunk-sized)."""
    paragraphs = []
    for path in sorted(CORPUS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        paragraphs += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 40]
    assert len(paragraphs) >= 20
    runs = ["\n\n".join(paragraphs[i : i + 4]) for i in range(0, len(paragraphs) - 3, 3)]
    return paragraphs + runs


def _manifest(folder: Path) -> dict[str, str]:
    files: dict[str, str] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    return files


def test_an_export_is_recorded_by_hash_and_reused() -> None:
    model = exported_model(MODEL_DIR, Precision.INT8, MODEL_CACHE)
    assert model.parent == export_folder(MODEL_DIR, MODEL_CACHE)
    assert _manifest(model.parent)[model.name] == file_digest(model)
    written = model.stat().st_mtime_ns
    assert exported_model(MODEL_DIR, Precision.INT8, MODEL_CACHE) == model
    assert model.stat().st_mtime_ns == written


@pytest.mark.slow
def test_an_export_that_no_longer_matches_its_hash_is_made_again(tmp_path: Path) -> None:
    shared = exported_model(MODEL_DIR, Precision.INT8, MODEL_CACHE).parent
    folder = export_folder(MODEL_DIR, tmp_path)
    shutil.copytree(shared, folder, ignore=shutil.ignore_patterns(".*"))
    damaged = folder / f"model-{Precision.INT8.value}.onnx"
    with damaged.open("r+b") as handle:
        handle.truncate(damaged.stat().st_size // 2)

    model = exported_model(MODEL_DIR, Precision.INT8, tmp_path)

    assert model == damaged
    assert file_digest(model) == _manifest(folder)[model.name] == _manifest(shared)[model.name]


def test_other_weights_get_their_own_export_folder(tmp_path: Path) -> None:
    copy = tmp_path / MODEL_DIR.name
    shutil.copytree(MODEL_DIR, copy)
    assert export_folder(copy, tmp_path) == export_folder(MODEL_DIR, tmp_path)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    (copy / "config.json").write_text(json.dumps({**config, "layer_norm_eps": 1e-6}))
    assert export_folder(copy, tmp_path) != export_folder(MODEL_DIR, tmp_path)


def _vectors(runtime: EmbeddingRuntime, texts: list[str]) -> np.ndarray:
    embedder = Embedder(PACKAGED_EMBEDDING_MODEL, runtime=runtime, model_cache_dir=MODEL_CACHE)
    return np.array(embedder.embed_documents(texts))


@pytest.mark.parametrize(
    ("runtime", "mean", "least"),
    [
        pytest.param(EmbeddingRuntime.TORCH, 0.9999, 0.999, id="torch"),
        pytest.param(EmbeddingRuntime.ONNX, 0.9999, 0.9999, id="onnx"),
        pytest.param(EmbeddingRuntime.ONNX_INT8, 0.99, 0.97, id="onnx-int8"),
    ],
)
def test_each_runtime_embeds_real_text_close_to_float32_sentence_transformers(
    runtime: EmbeddingRuntime, mean: float, least: float
) -> None:
    from sentence_transformers import SentenceTransformer

    plain = SentenceTransformer(str(MODEL_DIR), device="cpu")
    # Texts the encoder reads whole; longer ones are embedded in pieces (the test above).
    texts = [t for t in _corpus_passages() if len(plain.tokenize([t])["input_ids"][0]) < 256]
    assert len(texts) >= 20
    expected = plain.encode(texts, normalize_embeddings=True)
    cosines = (_vectors(runtime, texts) * expected).sum(axis=1)
    assert cosines.mean() > mean and cosines.min() > least, (cosines.mean(), cosines.min())


@pytest.mark.parametrize("runtime", list(EmbeddingRuntime), ids=str)
def test_a_text_longer_than_the_encoder_reads_is_embedded_whole(runtime: EmbeddingRuntime) -> None:
    embedder = Embedder(PACKAGED_EMBEDDING_MODEL, runtime=runtime, model_cache_dir=MODEL_CACHE)
    rows = "\n".join(
        f"Train: RE {i}; Departure: {i % 24:02d}:{i % 60:02d}; Platform: {i % 12 + 1}"
        for i in range(40)
    )
    tail = "The lighthouse on the northern cliff was built by Scottish engineers in 1868."
    whole, rows_alone = embedder.embed_documents([f"{rows}\n{tail}", rows])
    question = embedder.embed_query("Who built the lighthouse on the northern cliff?")

    def cosine(a: list[float], b: list[float]) -> float:
        return float(np.dot(a, b))

    assert cosine(question, whole) > cosine(question, rows_alone) + 0.04
    assert abs(np.linalg.norm(whole) - 1) < 1e-5


def test_a_long_text_is_cut_into_pieces_that_fit_between_words() -> None:
    text = "  Forty-two trains leave Brest daily, and each one stops at Quimper. " * 30
    offsets = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
    pieces = split_at_words(text, offsets, 50)
    assert len(pieces) > 1 and all(0 < p.tokens <= 50 for p in pieces)
    assert sum(p.tokens for p in pieces) == len(offsets)
    assert "".join(p.text for p in pieces) == text.strip() + " "
    assert all(p.text[0].isalnum() and not p.text.startswith("two") for p in pieces)
    assert split_at_words("Short.", [(0, 5), (5, 6)], 50) == [Window("Short.", 2)]


@pytest.mark.parametrize("runtime", list(EmbeddingRuntime), ids=str)
def test_a_query_is_embedded_on_one_thread_like_a_document(runtime: EmbeddingRuntime) -> None:
    import torch

    embedder = Embedder(PACKAGED_EMBEDDING_MODEL, runtime=runtime, model_cache_dir=MODEL_CACHE)
    threads = torch.get_num_threads()
    query = embedder.embed_query("Rockets burn liquid hydrogen.")
    assert torch.get_num_threads() == threads
    (document,) = embedder.embed_documents(["Rockets burn liquid hydrogen."])
    assert sum(q * d for q, d in zip(query, document, strict=True)) > 0.9999


def test_a_model_the_onnx_runtime_cannot_pool_is_refused_with_the_way_out(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "cls-model"
    shutil.copytree(MODEL_DIR, copy)
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8"))
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    embedder = Embedder(str(copy), runtime=EmbeddingRuntime.ONNX_INT8, model_cache_dir=tmp_path)
    with pytest.raises(EmbeddingModelError, match="CITEWISE_EMBEDDING_RUNTIME=torch"):
        embedder.embed_query("hello")


def test_an_index_built_on_another_runtime_asks_for_a_rebuild(settings: Settings) -> None:
    folder = settings.store_dir.parent / "docs"
    folder.mkdir()
    (folder / "tides.txt").write_text("The Moon's pull raises the tides twice a day.")
    int8_built = settings.model_copy(update={"embedding_runtime": EmbeddingRuntime.ONNX_INT8})
    assert sync_paths([folder], int8_built).added == 1

    onnx_set = settings.model_copy(update={"embedding_runtime": EmbeddingRuntime.ONNX})
    store = ChunkStore.open(onnx_set)
    with pytest.raises(IndexSettingsMismatch, match="embedding_runtime was 'onnx-int8'.*--rebuild"):
        store.check_settings()
