"""The reader on ONNX Runtime gives the answers torch gives: the same spans on the bundled
corpus's questions, logits and verifier within a small tolerance; its export is made once
from the shipped weights, checked by hash and made again when it does not match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from parts import PartsFor
from paths import MODEL_CACHE

from app.composition import Models
from app.reader import network
from app.reader.model import READER_WEIGHTS, load_reader, tokenizer
from app.reader.network import TorchReader
from app.reader.onnx_reader import ONNX_FILE, OnnxReader, export_folder
from app.reader.reading import read
from evals.bench.answer import insis_questions
from ingest.runtime.export_cache import MANIFEST, cached_file, file_digest
from ingest.settings import ReaderRuntime, Settings

TOLERANCE = 1e-3
"""Largest difference allowed between torch's and ONNX Runtime's logits (both float32)."""


@pytest.fixture(scope="module")
def onnx_reader() -> OnnxReader:
    """The reader on ONNX Runtime, exported once for this module."""
    reader = Models(ReaderRuntime.ONNX, MODEL_CACHE).reader().model
    assert isinstance(reader, OnnxReader)
    return reader


@pytest.fixture
def float32_torch_reader(monkeypatch: pytest.MonkeyPatch) -> TorchReader:
    """The reader on torch in float32, as ONNX Runtime computes: on a CPU with native bf16,
    torch would otherwise read in bfloat16."""
    monkeypatch.setattr(network, "native_bf16", lambda: False)
    return TorchReader(load_reader())


def test_the_setting_chooses_the_runtime(onnx_reader: OnnxReader) -> None:
    assert Settings().reader_runtime is ReaderRuntime.ONNX
    torch_settings = Settings.model_validate({"reader_runtime": "torch"})
    assert torch_settings.reader_runtime is ReaderRuntime.TORCH
    assert isinstance(Models(torch_settings.reader_runtime).reader().model, TorchReader)


def test_onnx_reads_the_same_spans_as_torch_on_the_bundled_corpus(
    onnx_reader: OnnxReader,
    float32_torch_reader: TorchReader,
    parts_for: PartsFor,
    insis_settings: Settings,
) -> None:
    tok = tokenizer()
    retriever = parts_for(insis_settings).retriever
    compared = 0
    for question in insis_questions()[::20]:
        texts = [p.text for p in retriever.search(question, k=5)]
        by_torch_all = read(tok, float32_torch_reader, question, texts)
        by_onnx_all = read(tok, onnx_reader, question, texts)
        for by_torch, by_onnx in zip(by_torch_all, by_onnx_all, strict=True):
            assert by_torch is not None and by_onnx is not None
            assert (by_onnx.start, by_onnx.end) == (by_torch.start, by_torch.end), question
            assert by_onnx.score == pytest.approx(by_torch.score, abs=2 * TOLERANCE)
            assert by_onnx.null_score == pytest.approx(by_torch.null_score, abs=2 * TOLERANCE)
            assert by_onnx.verdict == pytest.approx(by_torch.verdict, abs=TOLERANCE)
            compared += 1
    assert compared >= 20


def test_logits_match_on_padded_windows_of_a_long_passage(
    onnx_reader: OnnxReader, float32_torch_reader: TorchReader
) -> None:
    long = " ".join(f"Sentence {i} is about the weather in spring." for i in range(80))
    inputs = tokenizer().windows(["Who built it?"] * 2, ["The lighthouse.", long]).padded()
    assert len(inputs["input_ids"]) >= 3 and not inputs["attention_mask"].all()
    expected = float32_torch_reader(**inputs)
    got = onnx_reader(**inputs)
    real = inputs["attention_mask"].astype(bool)
    for name in ("start", "end"):
        difference = np.abs(getattr(got, name) - getattr(expected, name))[real].max()
        assert float(difference) < TOLERANCE, name
    assert float(np.abs(got.verdict - expected.verdict).max()) < TOLERANCE


def test_the_export_is_kept_and_made_again_when_it_does_not_match_its_hash(
    tmp_path: Path,
) -> None:
    made: list[Path] = []

    def export(path: Path) -> None:
        made.append(path)
        path.write_bytes(b"graph")

    path = cached_file(tmp_path, ONNX_FILE, export)
    assert cached_file(tmp_path, ONNX_FILE, export) == path and len(made) == 1
    assert json.loads((tmp_path / MANIFEST).read_text())["files"] == {ONNX_FILE: file_digest(path)}
    with path.open("ab") as handle:
        handle.write(b" edited")
    assert cached_file(tmp_path, ONNX_FILE, export) == path and len(made) == 2
    assert path.read_bytes() == b"graph"


def test_new_weights_get_a_new_export_folder(tmp_path: Path) -> None:
    other = tmp_path / "reader.safetensors"
    shutil.copyfile(READER_WEIGHTS, other)
    assert export_folder(other, tmp_path) == export_folder(READER_WEIGHTS, tmp_path)
    with other.open("ab") as handle:
        handle.write(b"\0")
    assert export_folder(other, tmp_path) != export_folder(READER_WEIGHTS, tmp_path)
