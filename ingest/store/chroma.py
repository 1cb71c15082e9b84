"""The Chroma adapter: connecting to an embedded index or a server, and the collections.

Chroma shares one client ("system") per folder path in a process, in the class-level cache
``SharedSystemClient._identifier_to_system``; it has no public way to drop one. Three things
need that: after a rebuild swapped another folder in under the same path (``ingest.rebuild``)
the shared client still reads the old one; after a write failed for want of disk space the
client hangs on its next write; and a client whose start failed (a damaged database) stays
cached, to be handed to the next open. This module is the only place that reaches into that
private cache (:func:`forget_swapped_folder`, :func:`stop_client`); which folder a cached
client was made for is recorded on the client itself, so citewise keeps no cache of its own.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ingest.errors import StoreError
from ingest.faults import Guard, GuardedCollection, damaged_error, is_damaged, rebuild_command

if TYPE_CHECKING:
    from ingest.settings import Settings

FolderIdentity = tuple[int, int]
"""Device and inode of a store folder: a rebuild swaps in another folder under the name."""
FOLDER_TAG = "_citewise_folder"
"""The attribute of a shared Chroma system that records the identity of the folder it opened."""
VECTOR_FOUND = 1e-3
"""Cosine distance under which a stored vector counts as found by a search for itself."""


def folder_identity(settings: Settings) -> FolderIdentity | None:
    """Which folder ``store_dir`` names now (None for a Chroma server, or no folder yet)."""
    if settings.chroma_url:
        return None
    try:
        info = os.stat(settings.store_dir)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def forget_swapped_folder(path: str, identity: FolderIdentity | None) -> None:
    """Drops Chroma's shared client for ``path`` if it was made for another folder than the
    one ``path`` names now, so the next client opens the new one."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.get(path)
    if system is not None and getattr(system, FOLDER_TAG, identity) != identity:
        SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)


def _tag_folder(path: str, identity: FolderIdentity | None) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.get(path)
    if system is not None:
        setattr(system, FOLDER_TAG, identity)


def stop_client(path: str) -> None:
    """Stops and drops Chroma's shared client for ``path`` (after a write failed for want of
    disk space it hangs on the next write otherwise)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(path, None)
    SharedSystemClient._identifier_to_refcount.pop(path, None)
    if system is not None:
        with contextlib.suppress(Exception):
            system.stop()


def _creation_hint(exc: Exception) -> str:
    if "already exists" in str(exc) or "locked" in str(exc):
        return (
            "another citewise command may be creating this index right now: wait for it to "
            "finish and run again; if none is running, move the folder away and ingest again"
        )
    return "pass another --store folder or set CITEWISE_STORE_DIR"


def connect(settings: Settings) -> Any:
    """A Chroma client for the index ``settings`` name: the server's, or the folder's."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(
                f"Invalid Chroma URL {settings.chroma_url!r}",
                "use e.g. http://localhost:8000 (setting chroma_url, env CITEWISE_CHROMA_URL)",
            )
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 80),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_url}: {exc}",
                "start it with 'chroma run --path DIR' or unset CITEWISE_CHROMA_URL",
            ) from None
        return client
    try:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        path, identity = str(settings.store_dir), folder_identity(settings)
        forget_swapped_folder(path, identity)
        client = chromadb.PersistentClient(path=path, settings=chroma_settings)
        _tag_folder(path, identity)
        return client
    except Exception as exc:
        location = str(settings.store_dir)
        # Chroma caches the client before it starts it: a failed start left behind would be
        # handed to the next open of this path, even after a rebuild replaced the folder.
        stop_client(location)
        if is_damaged(exc):
            raise damaged_error(location, exc, rebuild_command(location, None)) from None
        raise StoreError(
            f"Cannot open the index in {location}: {exc}", _creation_hint(exc)
        ) from None


def is_dropped_collection(exc: Exception) -> bool:
    """Whether ``exc`` says a collection held was dropped (by a rebuild elsewhere)."""
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def open_collection(client: Any, guard: Guard, name: str, **creation: Any) -> GuardedCollection:
    """The collection ``name``, created if missing. An existing one is only read: Chroma's
    get-or-create writes, and so fails on read-only media and hangs on a full disk."""
    from chromadb.errors import NotFoundError

    try:
        found = guard(client.get_collection, name, embedding_function=None)
    except NotFoundError:
        found = guard(client.get_or_create_collection, name, embedding_function=None, **creation)
    return GuardedCollection(found, guard)


def vector_fault(chunks: Any) -> str | None:
    """Why the vector index of collection ``chunks`` is damaged (Chroma's HNSW files deleted
    or truncated: a search then silently misses what was moved into them), or None. Two small
    reads: one stored vector, and a search for it, which must find it."""
    from chromadb.errors import ChromaError

    try:
        got = chunks.get(limit=1, include=["embeddings"])
        if not got["ids"]:
            return None
        found = chunks.query(
            query_embeddings=[list(got["embeddings"][0])], n_results=1, include=["distances"]
        )
    except ChromaError as exc:
        return str(exc)
    if found["ids"][0] and float(found["distances"][0][0]) < VECTOR_FOUND:
        return None
    return "a stored vector is not found by the search"
