"""Counting prompt tokens the way the model will, or conservatively when it cannot be asked.

A llama.cpp server exposes its tokenizer (``/extras/tokenize/count`` in llama-cpp-python's
server, ``/tokenize`` in llama.cpp's own); an in-process GGUF has its tokenizer at hand. Other
endpoints get an estimate that over-counts, so the prompt never overflows the context window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import httpx

from app.llm.models import load_gguf, unavailable
from ingest.settings import Settings

TokenCounter = Callable[[str], int]

CHARS_PER_TOKEN = 3.0
"""English averages about four characters a token; three over-counts on purpose."""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def token_counter(settings: Settings, gguf: Any = None) -> tuple[TokenCounter, str]:
    """A counter for the configured model, and how it counts (for notes and tests); the
    llamacpp provider counts with ``gguf`` (a loaded ``llama_cpp.Llama``) or loads its own."""
    if settings.llm_provider == "llamacpp":
        llama = gguf if gguf is not None else load_gguf(settings)
        return (lambda text: len(llama.tokenize(text.encode(), add_bos=False, special=True))), (
            "model tokenizer"
        )
    if settings.llm_provider == "openai" and settings.llm_base_url:
        server = _server_counter(settings)
        if server is not None:
            return server, "server tokenizer"
    return estimate_tokens, f"estimate ({CHARS_PER_TOKEN:g} chars/token)"


def _server_counter(settings: Settings) -> TokenCounter | None:
    """The server's own tokenizer, if it has one; raises LLMUnavailable if it is unreachable."""
    root = str(settings.llm_base_url).rstrip("/").removesuffix("/v1")
    client = httpx.Client(timeout=settings.llm_timeout_s)
    routes: list[tuple[str, Callable[[str], dict[str, Any]], Callable[[Any], int]]] = [
        (f"{root}/extras/tokenize/count", lambda t: {"input": t}, lambda r: int(r["count"])),
        (f"{root}/tokenize", lambda t: {"content": t}, lambda r: len(r["tokens"])),
    ]
    for url, body, read in routes:
        try:
            response = client.post(url, json=body("probe"))
        except httpx.HTTPError as exc:
            raise unavailable(settings, exc) from None
        if response.is_success:
            return _counting(client, url, body, read, settings)
    return None


def _counting(
    client: httpx.Client,
    url: str,
    body: Callable[[str], dict[str, Any]],
    read: Callable[[Any], int],
    settings: Settings,
) -> TokenCounter:
    def count(text: str) -> int:
        try:
            response = client.post(url, json=body(text))
            response.raise_for_status()
            return read(response.json())
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise unavailable(settings, exc) from None

    return count
