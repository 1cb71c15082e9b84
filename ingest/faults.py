"""Faults outside citewise met while using the index, each turned into one clear StoreError.

Chroma reports them in its own words, or not at all: a server that went away is an
``httpx.ConnectError`` deep in its client; a full disk is an ``InternalError`` saying
"Error in compaction: Failed to apply logs to the metadata segment"; a damaged database file
is "database disk image is malformed". Every call the store makes to Chroma goes through
:class:`Guard`, which retries a lost connection to a server with growing pauses for a bounded
time (every such call is safe to repeat: reads, upserts and deletes by id) and says, in the
end, what happened and what to do. The index's write order (see ``ingest.store``) keeps what
was committed before the fault; the next run repairs the rest.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ingest.errors import DiskFullError, StoreError

R = TypeVar("R")

FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 5.0
LOW_DISK_BYTES = 1_000_000
"""Free space below which a failed write is taken for a full disk, whatever Chroma said."""
_DISK_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_DAMAGE_WORDS = (
    "malformed",
    "file is not a database",
    "file is encrypted",
    "database disk image",
    "corrupt",
)
BYTES_PER_CHUNK = 4_000
"""Per chunk: its vector (in Chroma's log and in the HNSW graph) and its metadata."""
BYTES_PER_TEXT_CHAR = 12
"""Per character of text: Chroma stores it with a trigram full-text index, and the lexical
index keeps it again with its terms. Measured: 300 chunks of 840 characters and their 100
records took 7.4 MB, where these two constants estimate 7.2 MB."""
JOURNAL_FACTOR = 1.5
"""SQLite's rollback journal and temporary pages need room beside what stays written."""
CHROMA_DATABASE = "chroma.sqlite3"
RESUME_HINT = "what was committed before is kept; the same command resumes where it stopped"


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is the network failing under a Chroma server's client."""
    try:
        import httpx
    except ImportError:  # no server client installed: no server connection to lose
        return False
    return isinstance(exc, httpx.TransportError | ConnectionError)


def _mentions(exc: BaseException, words: tuple[str, ...]) -> bool:
    text = str(exc).lower()
    return any(word in text for word in words)


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.Error | Exception) and _mentions(exc, _DISK_FULL_WORDS)


def is_damaged(exc: BaseException) -> bool:
    """Whether ``exc`` says a database file of the index is damaged."""
    return _mentions(exc, _DAMAGE_WORDS)


def free_bytes(folder: Path) -> int | None:
    """Free space on the file system holding ``folder`` (or its nearest existing parent)."""
    for candidate in (folder, *folder.absolute().parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def disk_full_error(folder: Path, needed: int | None = None) -> DiskFullError:
    """The error for a full disk: before a write (``needed`` bytes were estimated) or during."""
    free = free_bytes(folder)
    free_text = "too little" if free is None else megabytes(free)
    if needed is not None:
        return DiskFullError(
            f"Not enough free disk space for the index in {folder}: this write needs about "
            f"{megabytes(needed)}, {free_text} is free",
            "nothing of it was written and the index is intact; free some space or pass "
            "another --store, then run the same command again",
        )
    return DiskFullError(
        f"The disk holding the index in {folder} became full during the write ({free_text} free)",
        "what was committed before is kept and the index is usable; free some space, then "
        "run the same command again: it finishes the interrupted write",
    )


def estimated_bytes(chunk_texts: int, chunks: int, record_texts: int) -> int:
    """Disk space a write of ``chunks`` chunks (``chunk_texts`` characters in all) and of
    records holding ``record_texts`` characters takes, with room for the journals."""
    written = BYTES_PER_CHUNK * chunks + BYTES_PER_TEXT_CHAR * (chunk_texts + record_texts)
    return int(written * JOURNAL_FACTOR)


def damaged_error(location: str, damage: object, rebuild_hint: str) -> StoreError:
    return StoreError(
        f"The index in {location} is damaged ({damage})",
        f"rebuild it from your documents: {rebuild_hint}",
    )


def rebuild_command(location: str, chroma_url: str | None) -> str:
    """The command that rebuilds the index at ``location`` from the user's files."""
    where = "" if chroma_url else f" --store {location}"
    return f"citewise ingest PATH... --rebuild{where}"


class Guard:
    """Runs the store's calls to Chroma, turning the faults above into StoreErrors.

    ``folder`` is where an embedded index lives (None for a server); ``retry_s`` is how long
    a lost connection to a server is retried before giving up.
    """

    def __init__(
        self,
        location: str,
        folder: Path | None,
        retry_s: float,
        chroma_url: str | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.location = location
        self.folder = folder
        self.retry_s = retry_s
        self.chroma_url = chroma_url
        self._sleep = sleep

    def __call__(self, call: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        deadline = time.monotonic() + self.retry_s
        pause = FIRST_PAUSE_S
        while True:
            try:
                return call(*args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:
                if not _connection_lost(exc):
                    fault = self.translated(exc)
                    if fault is exc:
                        raise
                    raise fault from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreError(
                        f"Lost the connection to the Chroma server at {self.chroma_url} "
                        f"(retried for {self.retry_s:g} s): {_reason(exc)}",
                        "start the server again and re-run the command; " + RESUME_HINT,
                    ) from None
                self._sleep(min(pause, left))
                pause = min(pause * 2, LONGEST_PAUSE_S)

    def translated(self, exc: Exception) -> Exception:
        """A StoreError for a full disk or a damaged file; any other error as it is. Chroma
        reports a full disk as an internal error naming no cause, so an internal or I/O
        error while the disk is all but full is taken for one."""
        if self.folder is not None and (
            is_disk_full(exc) or (_is_storage_error(exc) and _all_but_full(self.folder))
        ):
            return disk_full_error(self.folder)
        damage = str(exc) if is_damaged(exc) else self._database_damage(exc)
        if damage:
            return damaged_error(
                self.location, damage, rebuild_command(self.location, self.chroma_url)
            )
        return exc

    def _database_damage(self, exc: Exception) -> str | None:
        """What SQLite's quick check finds wrong with an embedded index's database, asked only
        when Chroma failed in words that name no cause ("Failed to pull logs from the log
        store" is what a damaged page in the middle of the file gives)."""
        from chromadb.errors import ChromaError

        if self.folder is None or not isinstance(exc, ChromaError):
            return None
        database = self.folder / CHROMA_DATABASE
        try:
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
                found = [str(row[0]) for row in db.execute("PRAGMA quick_check(1)")]
        except sqlite3.DatabaseError as failed:
            return f"{CHROMA_DATABASE}: {failed}"
        return None if found == ["ok"] else f"{CHROMA_DATABASE} fails SQLite's integrity check"


def _all_but_full(folder: Path) -> bool:
    free = free_bytes(folder)
    return free is not None and free < LOW_DISK_BYTES


def _is_storage_error(exc: BaseException) -> bool:
    from chromadb.errors import InternalError

    return isinstance(exc, InternalError | sqlite3.Error | OSError)


def _reason(exc: BaseException) -> str:
    """The innermost message of a network error ("[Errno 111] Connection refused")."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return str(exc) or type(exc).__name__


class GuardedCollection:
    """A Chroma collection whose calls go through a :class:`Guard`; attributes that are not
    calls (``id``, ``metadata``, ``name``) are read as they are."""

    _CALLS = frozenset({"get", "upsert", "delete", "query", "count", "add", "modify"})

    def __init__(self, collection: Any, guard: Guard) -> None:
        self._collection = collection
        self._guard = guard

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._collection, name)
        if name not in self._CALLS:
            return value
        return lambda *args, **kwargs: self._guard(value, *args, **kwargs)
