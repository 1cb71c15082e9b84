"""Errors of the LLM backend that users see as they are."""

from __future__ import annotations

from ingest.errors import CitewiseError


class LLMUnavailable(CitewiseError):
    """The configured LLM cannot be reached, loaded or used; nothing else is tried instead."""
