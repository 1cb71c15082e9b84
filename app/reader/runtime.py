"""The reader as the answer engine takes it: tokenizer and network on the runtime the settings
name, torch or ONNX Runtime. Kept apart from both so neither loader imports the other's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from app.reader.model import load_reader, tokenizer
from app.reader.onnx_reader import load_onnx_reader
from ingest.settings import ReaderRuntime

if TYPE_CHECKING:
    from app.reader.network import ReaderNetwork
    from app.reader.onnx_reader import OnnxReader


class Reader(NamedTuple):
    """The trained reader with its tokenizer, as ``reading.read`` takes them."""

    tokenizer: Any
    model: ReaderNetwork | OnnxReader


def open_reader(runtime: ReaderRuntime = ReaderRuntime.TORCH) -> Reader:
    """The tokenizer and the trained reader on ``runtime``, loaded now (seconds, and the
    first time on ONNX the export: callers load it once)."""
    if runtime is ReaderRuntime.ONNX:
        return Reader(tokenizer(), load_onnx_reader())
    return Reader(tokenizer(), load_reader())
