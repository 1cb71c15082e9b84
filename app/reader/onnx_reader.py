"""The reader on ONNX Runtime: the same network and weights, exported once, run faster.

On a CPU without native bfloat16 (most laptops, many servers) torch runs the reader in
float32; ONNX Runtime runs the same float32 graph with its fused attention and layer-norm
kernels in about 14% less CPU time (a first measurement on a loaded 2-core AMD EPYC), giving
the same spans (logits within 1e-3, see
``tests/test_reader_runtime.py``). The graph is exported from the shipped weights on first
use into ``~/.cache/citewise/models/reader-<digest>/``, where the digest covers the reader's
weights, the packaged base model's and the export format: weights replaced by training get a
new export without anyone deleting the old one. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.errors import ReaderModelError
from app.reader.encoding import INPUTS
from app.reader.logits import Logits
from app.reader.model import BASE_SHA256, READER_WEIGHTS, load_reader
from ingest.runtime.export_cache import cached_file, file_digest, models_cache
from ingest.runtime.sessions import cpu_session

if TYPE_CHECKING:
    import torch

EXPORT_FORMAT = 1
"""Bump when the exported graph changes (inputs, outputs, opset): old exports are then
made again under a new folder."""
OPSET = 17
OUTPUTS = ("start_logits", "end_logits", "verdict_logits")
ONNX_FILE = "reader-fp32.onnx"


def export_folder(weights: Path = READER_WEIGHTS, cache_dir: Path | None = None) -> Path:
    """Where the export of these weights lives, named by what defines the network."""
    if not weights.is_file():
        raise ReaderModelError(
            f"The reader weights {weights} are missing",
            "reinstall citewise, or train them with 'python -m evals.training.train'",
        )
    key = f"format {EXPORT_FORMAT} opset {OPSET} base {BASE_SHA256} reader {file_digest(weights)}"
    return models_cache(cache_dir) / f"reader-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def exported_reader(weights: Path = READER_WEIGHTS, cache_dir: Path | None = None) -> Path:
    """The ONNX file of the reader with ``weights``, checked by its SHA-256; exported first
    when it is missing or does not match."""
    folder = export_folder(weights, cache_dir)
    try:
        return cached_file(folder, ONNX_FILE, lambda path: export_onnx(weights, path))
    except OSError as exc:
        raise ReaderModelError(
            f"Cannot export the reader to {folder}: {exc}",
            "free disk space there, or set XDG_CACHE_HOME to a writable folder",
        ) from None


def export_onnx(weights: Path, target: Path) -> None:
    """Both heads of the reader as one ONNX graph, windows and tokens dynamic."""
    import torch

    network = load_reader(weights)

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
            output = self.network(**dict(zip(INPUTS, inputs, strict=True)))
            return output.start_logits, output.end_logits, output.verdict_logits

    ids = torch.full((2, 16), 1000, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0  # a padded row, so the traced graph keeps the attention mask
    axes: dict[str, dict[int, str]] = {name: {0: "windows", 1: "tokens"} for name in INPUTS}
    axes |= {"start_logits": {0: "windows", 1: "tokens"}, "end_logits": {0: "windows", 1: "tokens"}}
    axes["verdict_logits"] = {0: "windows"}
    with torch.inference_mode():
        torch.onnx.export(
            Heads().eval(),
            (ids, mask, torch.zeros_like(ids)),
            str(target),
            dynamo=False,
            input_names=list(INPUTS),
            output_names=list(OUTPUTS),
            dynamic_axes=axes,
            opset_version=OPSET,
        )


class OnnxReader:
    """The reader network on an ONNX Runtime session, a :class:`app.reader.logits.ReaderModel`
    that needs no torch. Each window runs alone, without its padding: ONNX Runtime computes
    padded positions in full, and on 2 cores five passages read 12% faster so (p50 212 ->
    187 ms on the bundled corpus's questions), with the same logits."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        self.session: Any = cpu_session(path, threads)

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray
    ) -> Logits:
        start = np.zeros(input_ids.shape, dtype=np.float32)
        end = np.zeros(input_ids.shape, dtype=np.float32)
        verdict = np.zeros(len(input_ids), dtype=np.float32)
        for row, length in enumerate(attention_mask.sum(axis=1)):
            feeds = {
                "input_ids": input_ids[row : row + 1, :length],
                "attention_mask": attention_mask[row : row + 1, :length],
                "token_type_ids": token_type_ids[row : row + 1, :length],
            }
            window_start, window_end, window_verdict = self.session.run(list(OUTPUTS), feeds)
            start[row, :length] = window_start[0]
            end[row, :length] = window_end[0]
            verdict[row] = window_verdict[0]
        return Logits(start, end, verdict)


def load_onnx_reader(weights: Path = READER_WEIGHTS, cache_dir: Path | None = None) -> OnnxReader:
    """The reader with ``weights`` on ONNX Runtime, exported first if need be."""
    return OnnxReader(exported_reader(weights, cache_dir))
