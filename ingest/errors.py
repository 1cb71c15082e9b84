"""Exception types whose messages are shown to users as they are.

Every error says what went wrong and, where there is one, what to do about it. The CLI prints
them without a traceback and exits non-zero; tests and library callers catch them by type.
"""

from __future__ import annotations


class CitewiseError(Exception):
    """Base of every error meant for a person to read."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class SettingsError(CitewiseError):
    """A setting has a value that cannot work."""


class DocumentError(CitewiseError):
    """One input file cannot be read or ingested; the others carry on."""


class UnsupportedFile(DocumentError):
    """A file of a kind citewise does not read: it is skipped, which is not a failure."""


class StoreError(CitewiseError):
    """The index cannot be opened, reached or written."""


class DiskFullError(StoreError):
    """The disk holding the index has no room for a write (checked before, or met during it)."""


class IndexSettingsMismatch(StoreError):
    """The index was built with another embedding model or chunking settings."""


class EmbeddingModelError(CitewiseError):
    """The embedding model cannot be found or loaded."""


class QueryError(CitewiseError):
    """A question cannot be searched as given (empty, too long, ...)."""
