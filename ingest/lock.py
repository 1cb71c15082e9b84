"""One writer at a time per index: an exclusive lock file that says who holds it.

Two ingests writing one index at once would each take the other's uncommitted chunks for
leftovers of a crash. So every write (ingest, remove, upload, catching up the lexical index)
holds this lock. It is an OS lock (``flock``): a process killed with SIGKILL releases it, so
a crash never leaves the index locked. The lock is re-entrant within a process, per thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ingest.display import shown

Waiting = Callable[[str], None]


class _Held:
    """The process-wide state of one lock file: its thread lock, descriptor and depth."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.fd: int | None = None
        self.depth = 0


_locks: dict[Path, _Held] = {}
_registry = threading.Lock()


def _held(path: Path) -> _Held:
    with _registry:
        return _locks.setdefault(path, _Held())


def holder_description() -> str:
    """Who this process is, as another process waiting for the lock will see it. Arguments
    are shown as in report lines: a file name that is not UTF-8 is quoted with escapes."""
    command = " ".join(shown(Path(a).name if i == 0 else a) for i, a in enumerate(sys.argv))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()} ({command or 'python'}), since {started}"


class WriteLock:
    """The write lock of one index, kept in the file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()

    def holder(self) -> str:
        """Who holds the lock now (as they described themselves), or "" if unknown."""
        with contextlib.suppress(OSError):
            return self.path.read_text(encoding="utf-8").strip()
        return ""

    @contextlib.contextmanager
    def hold(self, *, wait: bool = True, waiting: Waiting | None = None) -> Iterator[bool]:
        """Holds the lock for the ``with`` block and yields True; with ``wait=False`` yields
        False at once instead of waiting if another process or thread holds it. ``waiting``
        is told who holds it before this process starts waiting."""
        state = _held(self.path)
        if not state.thread_lock.acquire(blocking=False):
            if not wait:
                yield False
                return
            if waiting is not None:
                waiting(self._waiting_message())
            state.thread_lock.acquire()
        try:
            if state.depth == 0 and not self._lock_file(state, wait, waiting):
                yield False
                return
            state.depth += 1
            try:
                yield True
            finally:
                state.depth -= 1
                if state.depth == 0:
                    self._unlock_file(state)
        finally:
            state.thread_lock.release()

    def _waiting_message(self) -> str:
        who = self.holder() or "another writer"
        return (
            f"Waiting for the index in {self.path.parent} to be free: it is being written by {who}"
        )

    def _lock_file(self, state: _Held, wait: bool, waiting: Waiting | None) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                os.close(fd)
                return False
            if waiting is not None:
                waiting(self._waiting_message())
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (holder_description() + "\n").encode(), 0)
        state.fd = fd
        return True

    def _unlock_file(self, state: _Held) -> None:
        if state.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(state.fd, 0)
        fcntl.flock(state.fd, fcntl.LOCK_UN)
        os.close(state.fd)
        state.fd = None
