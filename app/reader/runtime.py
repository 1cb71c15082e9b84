"""The reader as the answer engine takes it: tokenizer and network on the runtime the settings
name, torch or ONNX Runtime. Kept apart from both so neither loader imports the other's."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from app.reader.encoding import ReaderTokenizer
from app.reader.logits import ReaderModel
from app.reader.model import load_reader, tokenizer
from app.reader.onnx_reader import load_onnx_reader
from ingest.settings import ReaderRuntime


class Reader(NamedTuple):
    """The trained reader with its tokenizer, as ``reading.read`` takes them."""

    tokenizer: ReaderTokenizer
    model: ReaderModel


def open_reader(
    runtime: ReaderRuntime = ReaderRuntime.ONNX, cache_dir: Path | None = None
) -> Reader:
    """The tokenizer and the trained reader on ``runtime``, loaded now (seconds, and the
    first time on ONNX the export, kept in ``cache_dir``: callers load it once). Only the
    torch runtime imports torch (with :mod:`app.reader.network`)."""
    if runtime is ReaderRuntime.ONNX:
        return Reader(tokenizer(), load_onnx_reader(cache_dir=cache_dir))
    from app.reader.network import TorchReader

    return Reader(tokenizer(), TorchReader(load_reader()))
