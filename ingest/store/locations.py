"""Where the files of one index live on this machine.

An embedded index keeps Chroma's data, the lexical index and the write lock in the store
folder. For an index on a Chroma server, the lexical index and the write lock are this
machine's own, in the cache folder under a name derived from the server's URL. An index on
read-only media is searched through a private copy in the cache folder (``ingest.readonly``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.lexical_index import FILE_NAME as LEXICAL_FILE_NAME
from ingest.readonly import is_read_only, readable_copy

if TYPE_CHECKING:
    from ingest.settings import Settings

CHROMA_DATABASE = "chroma.sqlite3"
"""The file whose presence says that a folder holds an embedded index."""


def cache_folder(settings: Settings) -> Path:
    return settings.cache_dir or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "citewise"
    )


def local_folder(settings: Settings) -> Path:
    """Where this machine keeps the index's lexical index and write lock: beside the Chroma
    data of an embedded index, in the cache folder for a Chroma server."""
    if not settings.chroma_url:
        return settings.store_dir
    return cache_folder(settings) / hashlib.sha256(settings.chroma_url.encode()).hexdigest()[:16]


def lexical_path(settings: Settings) -> Path:
    """The lexical index's SQLite file (its postings folder is named after it)."""
    return local_folder(settings) / f"{settings.collection}.{LEXICAL_FILE_NAME}"


def lock_path(settings: Settings) -> Path:
    return local_folder(settings) / f"{settings.collection}.write.lock"


def readable(settings: Settings) -> tuple[Settings, Path | None]:
    """``settings`` naming a private copy of the index if its folder is read-only (see
    ``ingest.readonly``), with the read-only folder; else ``settings`` and None."""
    if settings.chroma_url or not is_read_only(settings.store_dir):
        return settings, None
    copy = readable_copy(settings.store_dir, cache_folder(settings))
    return settings.model_copy(update={"store_dir": copy}), settings.store_dir
