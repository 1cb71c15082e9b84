"""Optional LLM answer backend: any LangChain chat model, its answers checked against passages.

The names below load on first use (PEP 562), so importing ``app.llm.errors`` (as the
extractive path does, through ``app.errors``) does not import LangChain.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.llm.answerer import LLMAnswerer
    from app.llm.check import check_answer
    from app.llm.errors import LLMUnavailable
    from app.llm.models import chat_model
    from app.llm.prompt import build_prompt

_MODULES = {
    "LLMAnswerer": "app.llm.answerer",
    "LLMUnavailable": "app.llm.errors",
    "build_prompt": "app.llm.prompt",
    "chat_model": "app.llm.models",
    "check_answer": "app.llm.check",
}

__all__ = ["LLMAnswerer", "LLMUnavailable", "build_prompt", "chat_model", "check_answer"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
