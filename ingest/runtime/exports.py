"""ONNX copies of a sentence-transformers encoder, exported offline from its own weights.

An export is cached under ``<cache>/models/<weights digest>/``: the digest
covers the files that define the network (``config.json`` and the weights), so new weights
get a new folder and never meet an old export. A manifest beside the exports records each
file's SHA-256; a file that no longer matches it (truncated, edited, half-written) is
exported again rather than loaded. Exporting needs torch and takes seconds, once per machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path

from ingest.errors import EmbeddingModelError

MANIFEST = "manifest.json"
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


def models_cache(cache_dir: Path | None = None) -> Path:
    """The folder of exported models: ``cache_dir`` if set, else ~/.cache/citewise/models
    (XDG_CACHE_HOME)."""
    if cache_dir is not None:
        return cache_dir
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citewise" / "models"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _read_manifest(folder: Path) -> dict[str, str]:
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return files if isinstance(files, dict) else {}


def _write_manifest(folder: Path, files: dict[str, str]) -> None:
    _replace_atomically(folder / MANIFEST, json.dumps({"files": files}, indent=1).encode())


def _replace_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)


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


def _matches(path: Path, files: dict[str, str]) -> bool:
    """Whether ``path`` exists with the digest the manifest recorded for it."""
    return path.is_file() and files.get(path.name) == file_digest(path)


def _file_name(precision: Precision) -> str:
    return f"model-{precision.value}.onnx"


def _export(model_dir: Path, folder: Path, precision: Precision) -> Path:
    """Writes the export of ``precision`` (and the fp32 one it is made from) into ``folder``."""
    files = _read_manifest(folder)
    fp32 = folder / _file_name(Precision.FP32)
    if not _matches(fp32, files):
        partial = fp32.with_name(".partial-" + fp32.name)
        _export_fp32(model_dir, partial)
        os.replace(partial, fp32)
        files[fp32.name] = file_digest(fp32)
    target = folder / _file_name(precision)
    if precision is Precision.INT8:
        partial = target.with_name(".partial-" + target.name)
        _quantize(fp32, partial)
        os.replace(partial, target)
        files[target.name] = file_digest(target)
    _write_manifest(folder, files)
    return target


def exported_model(model_dir: Path, precision: Precision, cache_dir: Path | None = None) -> Path:
    """The ONNX file of the model in ``model_dir`` at ``precision``, checked against the
    manifest's digest; exported first if it is missing or does not match."""
    from filelock import FileLock

    folder = export_folder(model_dir, cache_dir)
    target = folder / _file_name(precision)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / ".export.lock")):
            if _matches(target, _read_manifest(folder)):
                return target
            return _export(model_dir, folder, precision)
    except OSError as exc:
        raise EmbeddingModelError(
            f"Cannot export the embedding model to {folder}: {exc}",
            "free disk space there, or set CITEWISE_MODEL_CACHE_DIR to a writable folder",
        ) from None
