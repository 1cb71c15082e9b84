"""How the sentence encoder runs: which library does the arithmetic, at which precision, on
how many threads. Models are exported from their packaged weights, never downloaded."""

from __future__ import annotations

from enum import StrEnum


class EmbeddingRuntime(StrEnum):
    """What computes the embeddings. Each gives slightly different vectors, so an index
    records the one it was built with and asks for a ``--rebuild`` when it changes."""

    TORCH = "torch"
    """sentence-transformers on torch: float32, or bfloat16 where the CPU has it natively."""
    ONNX = "onnx"
    """The same float32 network exported to ONNX, on ONNX Runtime."""
    ONNX_INT8 = "onnx-int8"
    """The ONNX export with its matrix products in int8 (dynamic quantization)."""
