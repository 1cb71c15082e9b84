"""``--rebuild`` without ever losing the index: build the new one beside it, then swap.

For an index in a folder, the new index is built in a hidden sibling folder
(``.<name>.rebuild``) and, once complete, exchanged with the old folder in one atomic step
(``renameat2(RENAME_EXCHANGE)``); the old one is then deleted. Whatever else lives in the
store folder beside Chroma's data belongs to the index it was built with and moves with it;
the web chat's uploads folder (``<store>/uploads`` by default) is carried over to the new one.
A failure or a kill at any point before the exchange leaves the old folder untouched (the
next rebuild deletes the half-built one); after it, the new index is complete.

A Chroma server holds no folder of ours to swap: there the rebuild first checks everything
it needs (the paths exist, the embedding model loads) and only then drops the old index.

With the embedding runtime unset, the new index is embedded on the old one's
(:func:`rebuilt_settings`): a rebuild changes the runtime only when the setting says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ingest.crash import crash_point
from ingest.display import quoted
from ingest.embedder import new_index_runtime
from ingest.errors import CitewiseError, StoreError
from ingest.store import ChunkStore

if TYPE_CHECKING:
    from ingest.protocols import DocumentEmbedder
    from ingest.settings import Settings

Report = TypeVar("Report")
Fill = Callable[[ChunkStore, "Settings", Sequence[Path]], Report]
"""Ingests the paths being rebuilt into the empty store it is given, with these settings,
leaving the folders given out of its walk; what it returns, ``rebuild_index`` returns."""

STAGING_PREFIX = "."
STAGING_SUFFIX = ".rebuild"
UPLOADS = "uploads"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def staging_folder(store_dir: Path) -> Path:
    """Where the new index is built: hidden, so a walk of the parent folder skips it."""
    store_dir = store_dir.absolute()
    return store_dir.with_name(f"{STAGING_PREFIX}{store_dir.name}{STAGING_SUFFIX}")


def _exchange(a: Path, b: Path) -> None:
    """Swaps the two folders in one atomic step (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise StoreError(
            "This system cannot swap two folders atomically (no renameat2)",
            "rebuild into a new --store folder instead",
        )
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise StoreError(f"Cannot swap {a} and {b}: {os.strerror(code)}")


def _carry_uploads(old: Path, new: Path, settings: Settings) -> None:
    """Moves the web chat's uploaded files from the old store folder into the new one."""
    if settings.upload_dir is not None or not (old / UPLOADS).is_dir():
        return
    with contextlib.suppress(FileNotFoundError):
        os.rename(old / UPLOADS, new / UPLOADS)


def _discard_leftover(staging: Path, store_dir: Path, settings: Settings) -> None:
    """Deletes a half-built (or swapped-out) index left by a killed rebuild, keeping uploads."""
    if not staging.exists():
        return
    if store_dir.is_dir():
        with contextlib.suppress(OSError):  # the store already has its own uploads folder
            _carry_uploads(staging, store_dir, settings)
    shutil.rmtree(staging)


def _check_paths(paths: Sequence[Path]) -> None:
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise CitewiseError(
            f"Nothing was rebuilt: {', '.join(quoted(str(p)) for p in missing)} does not exist",
            "the index is as it was; check the paths",
        )


def rebuilt_settings(settings: Settings) -> Settings:
    """``settings`` for the index that replaces the one they name, the embedding runtime
    filled in: when unset, the old index's own (``ChunkStore.settings``), or a new index's
    where there is no old index or it cannot be opened (a damaged index is what a rebuild
    mends, and any runtime re-embeds every document alike)."""
    if settings.embedding_runtime is not None:
        return settings
    try:
        with contextlib.closing(ChunkStore.open_existing(settings)) as old:
            runtime = old.settings.embedding_runtime
    except StoreError:
        runtime = new_index_runtime(settings.embedding_model)
    return settings.model_copy(update={"embedding_runtime": runtime})


def rebuild_index(
    paths: Sequence[Path],
    settings: Settings,
    fill: Fill[Report],
    *,
    embedder: DocumentEmbedder,
    exclude: Sequence[Path] = (),
) -> Report:
    """Fills a new index with ``fill`` (an ingest of ``paths``) that replaces the old one only
    once complete."""
    _check_paths(paths)
    if settings.chroma_url:
        return _rebuild_on_server(settings, fill, embedder, exclude)
    store_dir = settings.store_dir.absolute()
    staging = staging_folder(store_dir)
    _discard_leftover(staging, store_dir, settings)
    staged = settings.model_copy(update={"store_dir": staging})
    try:
        store = ChunkStore.open(staged)
        try:
            report = fill(store, staged, [store_dir, *exclude])
        finally:
            store.close()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    crash_point("rebuild_before_swap")
    if store_dir.exists():
        _exchange(staging, store_dir)
        crash_point("rebuild_after_swap")
        _carry_uploads(staging, store_dir, settings)
        shutil.rmtree(staging)
    else:
        staging.rename(store_dir)
    return report


def _rebuild_on_server(
    settings: Settings, fill: Fill[Report], embedder: DocumentEmbedder, exclude: Sequence[Path]
) -> Report:
    """Drops the index on the Chroma server only once the embedding model is known to load."""

    embedder.embed_documents(["citewise rebuild check"])
    store = ChunkStore.open(settings)
    store.reset()
    return fill(store, settings, exclude)
