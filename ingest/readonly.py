"""Searching an index kept on read-only media (a shared, mounted library) through a copy.

Chroma opens its database for writing even to read it ("attempt to write a readonly
database"), and SQLite's write-ahead log needs a writable folder. So a store folder this
process may not write is copied once into the cache folder, and the copy is what is opened;
the copy is made again whenever the original changes (any file's size or modification time).
Nothing is ever written to the original: writing commands refuse such a store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

from ingest.errors import StoreError

STAMP = "copied-from.json"


def is_read_only(folder: Path) -> bool:
    """Whether ``folder`` exists and this process may not write in it (a read-only mount
    refuses even root)."""
    return folder.is_dir() and not os.access(folder, os.W_OK)


def _signature(folder: Path) -> dict[str, list[int]]:
    """Each file of the folder with its size and modification time."""
    found: dict[str, list[int]] = {}
    for root, _, files in os.walk(folder):
        for name in files:
            info = os.stat(os.path.join(root, name))
            found[os.path.relpath(os.path.join(root, name), folder)] = [
                info.st_size,
                info.st_mtime_ns,
            ]
    return found


def readable_copy(folder: Path, cache: Path) -> Path:
    """A private, writable copy of ``folder`` in ``cache``, up to date with it."""
    origin = str(folder.resolve())
    home = cache / "read-only" / hashlib.sha256(origin.encode()).hexdigest()[:16]
    copy, stamp = home / "index", home / STAMP
    try:
        home.mkdir(parents=True, exist_ok=True)
        with open(home / "copy.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            wanted = {"origin": origin, "files": _signature(folder)}
            with contextlib.suppress(OSError, ValueError):
                if json.loads(stamp.read_text(encoding="utf-8")) == wanted and copy.is_dir():
                    return copy
            shutil.rmtree(copy, ignore_errors=True)
            stamp.unlink(missing_ok=True)
            shutil.copytree(folder, copy, symlinks=True)
            stamp.write_text(json.dumps(wanted), encoding="utf-8")
            return copy
    except OSError as exc:
        raise StoreError(
            f"The index in {folder} is on read-only media and cannot be copied to "
            f"{home} to be searched: {exc.strerror or exc}",
            "free some space in the cache folder (setting cache_dir), or copy the index to "
            "a writable folder and pass --store",
        ) from None
