"""Which files a folder holds, and one finding for every entry that cannot be ingested.

The walk never raises for what it meets in a folder: a symlink loop, a dangling link, a link
leaving the folder, a FIFO or device, a folder it may not read, a name that is not valid
UTF-8. Each becomes a :class:`Finding` that the sync reports on one line, and the walk goes on.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ingest.display import quoted

FOLLOW_LINKS_HINT = "pass --follow-links (setting follow_external_links) to ingest it"


class Verdict(StrEnum):
    """How a finding counts in the report: a failure makes the run exit non-zero."""

    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """An entry that is not ingested, with the reason shown to the user."""

    path: Path
    verdict: Verdict
    message: str


@dataclass(frozen=True)
class FoundFile:
    """A regular file to ingest, with its path relative to the folder given (its doc id)."""

    path: Path
    relative: str


def is_utf8(text: str) -> bool:
    """False for names holding bytes that are not UTF-8 (decoded by Python as surrogates):
    the index stores ids and paths as UTF-8 text, so such a name cannot be stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _special_kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def inspect(path: Path, root: Path | None, follow_external_links: bool) -> Finding | os.stat_result:
    """The ``stat`` of what ``path`` names, or why it is not ingested. ``root`` (resolved) is
    the folder being walked: a link leading out of it is followed only if allowed."""
    if not is_utf8(str(path)):
        return Finding(path, Verdict.FAILED, "name is not valid UTF-8; rename it to ingest it")
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Finding(path, Verdict.FAILED, "symlink loop; the link leads back to itself")
        if path.is_symlink():
            return Finding(path, Verdict.FAILED, f"broken link to {quoted(_link_target(path))}")
        if exc.errno == errno.ENOENT:
            return Finding(path, Verdict.FAILED, "no such file or folder")
        return Finding(path, Verdict.FAILED, f"cannot read: {exc.strerror or exc}")
    except RuntimeError:  # Python < 3.13 reports a loop met while resolving this way
        return Finding(path, Verdict.FAILED, "symlink loop; the link leads back to itself")
    if root is not None and path.is_symlink():
        target = path.resolve()
        if stat.S_ISDIR(info.st_mode):
            return Finding(path, Verdict.SKIPPED, "link to a folder, not followed")
        if not target.is_relative_to(root) and not follow_external_links:
            return Finding(
                path,
                Verdict.SKIPPED,
                f"link to {quoted(str(target))}, outside the folder, not followed; "
                + FOLLOW_LINKS_HINT,
            )
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        return Finding(path, Verdict.SKIPPED, f"{_special_kind(info.st_mode)}, not a file")
    return info


def inspect_named(path: Path, follow_external_links: bool) -> Finding | os.stat_result:
    """Like :func:`inspect`, for a path named on the command line, with the folder rules
    applied to the folder the path is in: a link leading out of it is refused unless
    allowed, and a link to a folder holding the link (``sub/up -> ..``) is refused, as it
    would walk the link's own folder again. Anything not ingested is a failure, since the
    user asked for this very path."""
    found = inspect(path, None, follow_external_links)
    if isinstance(found, Finding):
        return Finding(path, Verdict.FAILED, found.message)
    if not path.is_symlink():
        return found
    folder = path.absolute().parent.resolve()
    target = path.resolve()
    if stat.S_ISDIR(found.st_mode) and folder.is_relative_to(target):
        return Finding(
            path,
            Verdict.FAILED,
            f"link to {quoted(str(target))}, a folder holding the link itself, not followed; "
            "name that folder instead",
        )
    if not target.is_relative_to(folder) and not follow_external_links:
        return Finding(
            path,
            Verdict.FAILED,
            f"link to {quoted(str(target))}, outside the folder, not followed; "
            + FOLLOW_LINKS_HINT,
        )
    return found


def walk(
    folder: Path, exclude: Sequence[Path], follow_external_links: bool
) -> Iterator[FoundFile | Finding]:
    """Files under ``folder`` in a stable order, skipping hidden files and folders and the
    ``exclude`` folders (the index, when it lives inside the folder being ingested)."""
    root = folder.resolve()
    excluded = {p.resolve() for p in exclude}
    yield from _walk_in(folder, "", root, excluded, follow_external_links)


def _walk_in(
    folder: Path, prefix: str, root: Path, excluded: set[Path], follow_external_links: bool
) -> Iterator[FoundFile | Finding]:
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        yield Finding(folder, Verdict.FAILED, f"cannot read folder: {exc.strerror or exc}")
        return
    for name in names:
        if name.startswith("."):
            continue
        path = folder / name
        found = inspect(path, root, follow_external_links)
        if isinstance(found, Finding):
            yield found
        elif stat.S_ISDIR(found.st_mode):
            if path.resolve() not in excluded:
                yield from _walk_in(path, f"{prefix}{name}/", root, excluded, follow_external_links)
        else:
            yield FoundFile(path, prefix + name)
