"""A bound on what zip-based formats (.docx) unpack to, checked before any parser opens them.

A 1 MB .docx can hold a document.xml that inflates to gigabytes. The sizes a zip declares
for its members bound what Python's zipfile (used by python-docx) will ever inflate: it stops
at the declared size and fails the CRC check if the data claims otherwise. So summing the
declared sizes is enough to refuse such a file up front, at no cost for a normal one.
"""

from __future__ import annotations

import io
import zipfile

from ingest.errors import DocumentError

MEGABYTE = 1_000_000


def check_unzipped_size(data: bytes, limit_mb: float, format_name: str) -> None:
    """DocumentError if ``data`` is a zip whose members add up to more than ``limit_mb``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a readable zip: the format's own parser says what is wrong with it
    if total > limit_mb * MEGABYTE:
        raise DocumentError(
            f"{format_name} file would unpack to {total / MEGABYTE:.1f} MB, over the "
            f"{limit_mb:g} MB limit",
            "setting max_unzipped_mb, env CITEWISE_MAX_UNZIPPED_MB",
        )
