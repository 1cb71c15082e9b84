"""Errors a user of the evaluation suite can cause, shown as one line by the CLI."""

from __future__ import annotations

from ingest.errors import CitewiseError


class DatasetError(CitewiseError):
    """An evaluation dataset that cannot be read or is malformed (the message names the line)."""
