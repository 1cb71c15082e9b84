"""ONNX copies of a sentence-transformers encoder, exported offline from its own weights.

An export is cached under ``<cache>/models/<weights digest>/``: the digest
covers the files that define the network (``config.json`` and the weights), so new weights
get a new folder and never meet an old export. A manifest beside the exports records each
file's SHA-256; a file that no longer matches it (truncated, edited, half-written) is
exported again rather than loaded. Exporting needs torch and takes seconds, once per machine.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from pathlib import Path

from ingest.errors import EmbeddingModelError
from ingest.runtime.export_cache import cached_file, file_digest, models_cache

WEIGHT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")
"""The files whose bytes define the network (whichever of the weight files exists)."""
EXPORT_FORMAT = 1
"""Bump when the exported graph changes (inputs, opset, quantization): old exports are
then made again, since the manifest no longer matches."""
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"


class Precision(StrEnum):
    """How an export stores its weights."""

    FP32 = "fp32"
    INT8 = "int8"
    """Dynamic int8 quantization of the matrix products, one scale per output channel."""


def weights_digest(model_dir: Path) -> str:
    """One digest over the files that define the network, with their names."""
    digest = hashlib.sha256(f"export format {EXPORT_FORMAT}, opset {OPSET}".encode())
    found = False
    for name in WEIGHT_FILES:
        path = model_dir / name
        if path.is_file():
            found = True
            digest.update(name.encode() + b"\0" + file_digest(path).encode())
    if not found:
        raise EmbeddingModelError(
            f"No model weights in {model_dir}",
            "point CITEWISE_EMBEDDING_MODEL at a sentence-transformers model folder",
        )
    return digest.hexdigest()


def export_folder(model_dir: Path, cache_dir: Path | None = None) -> Path:
    """Where the exports of the model in ``model_dir`` live: named by its weights alone, so
    the same weights in another folder share them."""
    return models_cache(cache_dir) / weights_digest(model_dir)[:16]


def _export_fp32(model_dir: Path, target: Path) -> None:
    """The transformer (not the pooling) as an ONNX graph with batch and length dynamic."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(INPUTS, inputs, strict=True))).last_hidden_state

    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, OUTPUT)}
    with torch.inference_mode():
        torch.onnx.export(
            LastHiddenState(),
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            dynamo=False,
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=OPSET,
        )


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def _file_name(precision: Precision) -> str:
    return f"model-{precision.value}.onnx"


def exported_model(model_dir: Path, precision: Precision, cache_dir: Path | None = None) -> Path:
    """The ONNX file of the model in ``model_dir`` at ``precision``, checked against the
    manifest's digest; exported first (int8 from the fp32 export) if it is missing or does
    not match."""
    folder = export_folder(model_dir, cache_dir)
    try:
        fp32 = cached_file(
            folder, _file_name(Precision.FP32), lambda path: _export_fp32(model_dir, path)
        )
        if precision is Precision.FP32:
            return fp32
        return cached_file(folder, _file_name(precision), lambda path: _quantize(fp32, path))
    except OSError as exc:
        raise EmbeddingModelError(
            f"Cannot export the embedding model to {folder}: {exc}",
            "free disk space there, or set CITEWISE_MODEL_CACHE_DIR to a writable folder",
        ) from None
