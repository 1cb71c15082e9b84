"""ONNX Runtime sessions set up for a CPU shared with other work."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cpu_session(model: Path, threads: int | None) -> Any:
    """A CPU session of ``model`` on ``threads`` intra-op threads (None: one per physical
    core, ONNX Runtime's own choice). Idle threads sleep rather than spin: spinning threads
    take the cores from the parse workers and the web server beside them."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
