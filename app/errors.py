"""Errors of the answering layer that users see as they are (the CLI prints them, no traceback)."""

from __future__ import annotations

from app.llm.errors import LLMUnavailable
from ingest.errors import CitewiseError, StoreError

__all__ = [
    "BackendError",
    "EmptyIndexError",
    "HistoryError",
    "LLMUnavailable",
    "ReaderModelError",
    "ScopeError",
]


class BackendError(CitewiseError):
    """An answer backend was asked for that does not exist or is not configured."""


class HistoryError(CitewiseError):
    """A chat history is not a list of ``{"role", "content"}`` messages."""


class ScopeError(CitewiseError):
    """A question was scoped to documents that are not in the index."""


class EmptyIndexError(StoreError):
    """The index holds no document, so there is nothing to answer from."""


class ReaderModelError(CitewiseError):
    """The reader model cannot be loaded (missing package or weights, or a mismatched base)."""
