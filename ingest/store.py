"""The index: chunk vectors and one record per document in Chroma, and a lexical index.

Three collections make the index exact. ``<collection>`` holds chunk vectors (cosine space);
``<collection>-documents`` holds one record per document with its content hash. A document's
record is its commit point: chunks whose ``doc_hash`` differs from their record (or that have no
record) are leftovers of an interrupted run. ``<collection>-state`` holds the revision token,
changed at every commit, and the journal: the documents a write has begun and not finished.
After a crash, :meth:`ChunkStore.repair` puts right exactly the journalled documents, so the
common case (no interrupted run) costs one read, whatever the size of the index.

Beside Chroma, a :class:`~ingest.lexical_index.LexicalIndex` (SQLite, and tantivy for the
postings) holds each document's committed chunks and their terms. Writers update it after each
commit and record the revision it matches; a process that finds another revision (a crash
between commit and update, or another machine writing to a Chroma server) catches up document
by document (:meth:`ChunkStore.catch_up`), comparing content hashes, never re-reading the whole
corpus.

Every read that can return many records is paginated, and every write holds the index's write
lock (:mod:`ingest.lock`), so two ingests never take each other's work for crash leftovers.

The chunk collection's metadata records the settings that shaped its vectors (embedding model,
chunking), so vectors of two models are never mixed.

A ``--rebuild`` (by another process, or another ``ChunkStore`` in this one) replaces the whole
store folder (see ``ingest.rebuild``), or on a Chroma server drops and re-creates the
collections; a store that was already open then reconnects, or fetches them again, on its
next call instead of reading the old index or failing on the dropped collections, and its
lexical index starts over.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlparse

from ingest.chunker import CHUNKER_VERSION
from ingest.crash import crash_point
from ingest.errors import DiskFullError, IndexSettingsMismatch, StoreError
from ingest.faults import (
    Guard,
    GuardedCollection,
    damaged_error,
    disk_full_error,
    estimated_bytes,
    free_bytes,
    is_damaged,
    rebuild_command,
)
from ingest.lexical_index import FILE_NAME as LEXICAL_FILE_NAME
from ingest.lexical_index import LexicalIndex
from ingest.lock import Waiting, WriteLock
from ingest.readonly import is_read_only, readable_copy
from ingest.records import Chunk, DocumentRecord, chunk_from, chunk_metadata

if TYPE_CHECKING:
    from ingest.settings import Settings

INDEX_FORMAT = 1
"""Bump when chunk ids or metadata change shape: old indexes then need --rebuild."""
DOCUMENTS_SUFFIX = "-documents"
STATE_SUFFIX = "-state"
REVISION_ID = "revision"
PENDING_PREFIX = "pending:"
READ_PAGE = 2000
"""Records per read: Chroma fails on reads of tens of thousands of records at once."""
DOCUMENTS_PER_FETCH = 100
"""Documents whose chunks are fetched in one read when the lexical index catches up."""
SETTING_PREFIX = "citewise:"
CHROMA_DATABASE = "chroma.sqlite3"
VECTOR_FOUND = 1e-3
"""Cosine distance under which a stored vector counts as found by a search for itself."""

P = ParamSpec("P")
R = TypeVar("R")


def index_settings(settings: Settings) -> dict[str, str | int]:
    """Everything that must match for two vectors or two chunkings to be comparable."""
    return {
        "embedding_model": settings.embedding_model,
        "embedding_runtime": settings.embedding_runtime.value,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "chunker_version": CHUNKER_VERSION,
        "index_format": INDEX_FORMAT,
    }


@dataclass(frozen=True)
class NewVersion:
    """A document version to write: its record, its chunks and their embeddings."""

    record: DocumentRecord
    chunks: Sequence[Chunk]
    embeddings: Sequence[Sequence[float]]


@dataclass(frozen=True)
class StoredChunk:
    """A chunk id with the metadata that ties it to its document version."""

    id: str
    doc_id: str
    doc_hash: str


def _record_from(doc_id: str, meta: dict[str, Any], text: str | None) -> DocumentRecord:
    return DocumentRecord(
        doc_id=doc_id,
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        content_hash=meta["content_hash"],
        chunks=int(meta["chunks"]),
        ingested_at=meta.get("ingested_at", ""),
        text=text or "",
    )


FolderIdentity = tuple[int, int]
_opened_folders: dict[str, FolderIdentity | None] = {}
"""Store path -> identity of the folder it named when Chroma's shared client for it was made."""


def _folder_identity(settings: Settings) -> FolderIdentity | None:
    """Which folder ``store_dir`` names now: a rebuild swaps in another one under that name."""
    if settings.chroma_url:
        return None
    try:
        info = os.stat(settings.store_dir)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _forget_swapped_folder(path: str, identity: FolderIdentity | None) -> None:
    """Chroma shares one client per path in a process; after a rebuild swapped the folder that
    client still reads the old one, so it is dropped and the next client opens the new one."""
    from chromadb.api.shared_system_client import SharedSystemClient

    if _opened_folders.get(path, identity) != identity:
        SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)
    _opened_folders[path] = identity


def _creation_hint(exc: Exception) -> str:
    if "already exists" in str(exc) or "locked" in str(exc):
        return (
            "another citewise command may be creating this index right now: wait for it to "
            "finish and run again; if none is running, move the folder away and ingest again"
        )
    return "pass another --store folder or set CITEWISE_STORE_DIR"


def _connect(settings: Settings) -> Any:
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
        _forget_swapped_folder(str(settings.store_dir), _folder_identity(settings))
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)
    except Exception as exc:
        location = str(settings.store_dir)
        if is_damaged(exc):
            raise damaged_error(location, exc, rebuild_command(location, None)) from None
        raise StoreError(
            f"Cannot open the index in {location}: {exc}", _creation_hint(exc)
        ) from None


def _is_dropped_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def _refetching(
    method: Callable[Concatenate[ChunkStore, P], R],
) -> Callable[Concatenate[ChunkStore, P], R]:
    """Runs ``method`` again on freshly fetched collections if the ones held were dropped by a
    rebuild elsewhere. Every method so wrapped is safe to repeat (reads, upserts, deletes).
    A full disk or a damaged file met by the lexical index becomes a StoreError saying so
    (Chroma's own faults are translated by the store's ``Guard``)."""

    @functools.wraps(method)
    def wrapper(self: ChunkStore, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._stale or _folder_identity(self._settings) != self._identity:
            self._reconnect()
        try:
            return method(self, *args, **kwargs)
        except DiskFullError:
            self._restart_client()
            raise
        except (sqlite3.Error, OSError) as exc:
            fault = self._guard.translated(exc)
            if fault is exc:
                raise
            if isinstance(fault, DiskFullError):
                self._restart_client()
            raise fault from None
        except Exception as exc:
            if not _is_dropped_collection(exc):
                raise
            self._open_collections()
            return method(self, *args, **kwargs)

    return wrapper


def _local_folder(settings: Settings) -> Path:
    """Where this machine keeps the index's lexical index and write lock: beside the Chroma
    data of an embedded index, in the cache folder for a Chroma server."""
    if not settings.chroma_url:
        return settings.store_dir
    return _cache_folder(settings) / hashlib.sha256(settings.chroma_url.encode()).hexdigest()[:16]


def _cache_folder(settings: Settings) -> Path:
    return settings.cache_dir or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "citewise"
    )


def _readable(settings: Settings) -> tuple[Settings, Path | None]:
    """``settings`` naming a private copy of the index if its folder is read-only (see
    ``ingest.readonly``), with the read-only folder; else ``settings`` and None."""
    if settings.chroma_url or not is_read_only(settings.store_dir):
        return settings, None
    copy = readable_copy(settings.store_dir, _cache_folder(settings))
    return settings.model_copy(update={"store_dir": copy}), settings.store_dir


def _pages(
    collection: Any, include: list[str], where: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of ``collection`` (matching ``where``), READ_PAGE records per read."""
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=READ_PAGE, offset=offset)
        if got["ids"]:
            yield got
        if len(got["ids"]) < READ_PAGE:
            return
        offset += len(got["ids"])


def _in(field: str, values: Sequence[str]) -> dict[str, Any]:
    return {field: values[0]} if len(values) == 1 else {field: {"$in": list(values)}}


class ChunkStore:
    """Chunks and document records of one index, embedded or on a Chroma server."""

    def __init__(
        self, client: Any, settings: Settings, *, read_only_origin: Path | None = None
    ) -> None:
        self._client = client
        self._settings = settings
        self.read_only_origin = read_only_origin
        """The read-only folder this store is a private copy of (None: the store itself)."""
        self._identity = _folder_identity(settings)
        self._wanted = index_settings(settings)
        self._guard = Guard(
            self.location,
            None if settings.chroma_url else settings.store_dir,
            settings.chroma_retry_seconds,
            settings.chroma_url,
        )
        self._vectors_checked = False
        self._stale = False
        self._batch = max(1, int(self._guard(client.get_max_batch_size)))
        folder = _local_folder(settings)
        self.lexical = LexicalIndex(folder / f"{settings.collection}.{LEXICAL_FILE_NAME}")
        self.lock = WriteLock(folder / f"{settings.collection}.write.lock")
        self._open_collections()
        if self.lexical.synced() is None and not self.has_documents():
            self.lexical.mark_synced(self.revision())
        self._store_chunk_texts()
        if self.lexical.damaged:
            self.catch_up(wait=False)

    def _store_chunk_texts(self) -> None:
        """Copies each indexed chunk's text and metadata into a lexical index written before
        it kept them (once: a read of every chunk, by id)."""
        after = 0
        while not self.lexical.texts_stored():
            missing = self.lexical.without_text(after, READ_PAGE)
            found = self.chunks_by_id([i for _, i in missing]).values()
            self.lexical.store_texts(found, complete=len(missing) < READ_PAGE)
            if missing:
                after = missing[-1][0]

    @classmethod
    def open(cls, settings: Settings) -> ChunkStore:
        """The index named by ``settings``, created empty if there is none yet; an index on
        read-only media is opened through a private copy, for searching only."""
        settings, origin = _readable(settings)
        return cls(_connect(settings), settings, read_only_origin=origin)

    @classmethod
    def open_existing(cls, settings: Settings) -> ChunkStore:
        """The index named by ``settings``; StoreError if there is none (a mistyped --store
        must not leave an empty index behind)."""
        if settings.chroma_url:
            client = _connect(settings)
            if settings.collection not in {c.name for c in client.list_collections()}:
                raise StoreError(
                    f"No index named {settings.collection!r} on the Chroma server "
                    f"{settings.chroma_url}",
                    "build one with 'citewise ingest PATH', or check the setting collection",
                )
            return cls(client, settings)
        if not (settings.store_dir / CHROMA_DATABASE).is_file():
            raise StoreError(
                f"No index in {settings.store_dir}",
                f"build one with 'citewise ingest PATH --store {settings.store_dir}', "
                "or check the --store folder",
            )
        return cls.open(settings)

    def _reconnect(self) -> None:
        self._stale = False
        self._client = _connect(self._settings)
        self._identity = _folder_identity(self._settings)
        self._open_collections()

    def _restart_client(self) -> None:
        """Stops Chroma's client after a write failed for want of disk space (it hangs on the
        next write otherwise), so the next call opens a fresh one."""
        if self._settings.chroma_url:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        path = str(self._settings.store_dir)
        system = SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)
        if system is not None:
            with contextlib.suppress(Exception):
                system.stop()
        self._stale = True

    def close(self) -> None:
        """Releases Chroma's client, so the folder can be moved (see ``ingest.rebuild``)."""
        self._client.close()

    @property
    def location(self) -> str:
        origin = getattr(self, "read_only_origin", None)
        return self._settings.chroma_url or str(origin or self._settings.store_dir)

    def _writable(self) -> None:
        """Refuses a write to an index on read-only media (its private copy is for searching)."""
        if self.read_only_origin is not None:
            raise StoreError(
                f"The index in {self.read_only_origin} is on read-only media: it can be "
                "searched, not changed",
                "copy the folder to writable storage and pass that copy as --store",
            )

    def _open_collections(self) -> None:
        name = self._settings.collection
        meta = {SETTING_PREFIX + k: v for k, v in self._wanted.items()}
        self._chunks = self._collection(
            name, configuration={"hnsw": {"space": "cosine"}}, metadata=meta
        )
        self._docs = self._collection(name + DOCUMENTS_SUFFIX)
        self._state = self._collection(name + STATE_SUFFIX)

    def _collection(self, name: str, **creation: Any) -> GuardedCollection:
        """The collection ``name``, created if missing. An existing one is only read: Chroma's
        get-or-create writes, and so fails on read-only media and hangs on a full disk."""
        from chromadb.errors import NotFoundError

        try:
            found = self._guard(self._client.get_collection, name, embedding_function=None)
        except NotFoundError:
            found = self._guard(
                self._client.get_or_create_collection, name, embedding_function=None, **creation
            )
        return GuardedCollection(found, self._guard)

    # Index settings --------------------------------------------------------------------------

    def built_with(self) -> dict[str, Any]:
        """The index settings stored with the chunk collection."""
        meta = self._chunks.metadata or {}
        return {
            k[len(SETTING_PREFIX) :]: v for k, v in meta.items() if k.startswith(SETTING_PREFIX)
        }

    @_refetching
    def check_vectors(self) -> None:
        """Raises StoreError if the vector index is damaged (Chroma's HNSW files deleted or
        truncated): Chroma then answers a nearest-neighbour search from what it has not yet
        moved into them, silently missing the rest. Two small reads: one stored vector, and a
        search for it, which must find it."""
        from chromadb.errors import ChromaError

        try:
            got = self._chunks.get(limit=1, include=["embeddings"])
            if not got["ids"]:
                self._vectors_checked = True
                return
            found = self._chunks.query(
                query_embeddings=[list(got["embeddings"][0])], n_results=1, include=["distances"]
            )
            intact = bool(found["ids"][0]) and float(found["distances"][0][0]) < VECTOR_FOUND
            reason = "a stored vector is not found by the search"
        except ChromaError as exc:
            intact, reason = False, str(exc)
        if not intact:
            raise StoreError(
                f"The vector index in {self.location} is damaged ({reason}): answers would "
                "miss passages",
                "rebuild it from your documents: "
                + rebuild_command(self.location, self._settings.chroma_url),
            )
        self._vectors_checked = True

    @_refetching
    def check_settings(self) -> None:
        """Raises IndexSettingsMismatch if the index was built differently; an index holding
        no document is simply re-created with the current settings."""
        stored = self.built_with()
        differing = [k for k, v in self._wanted.items() if stored.get(k) != v]
        if not differing:
            return
        if self._docs.count() == 0:
            self.reset()
            return
        what = "; ".join(f"{k} was {stored.get(k)!r}, now {self._wanted[k]!r}" for k in differing)
        raise IndexSettingsMismatch(
            f"The index in {self.location} was built with other settings: {what}",
            "re-run with --rebuild to re-embed every document with the new settings",
        )

    def reset(self) -> None:
        """Drops the whole index (records first, so a crash midway leaves no record without
        chunks) and re-creates it empty with the current settings."""
        self._writable()
        with self.lock.hold():
            name = self._settings.collection
            for suffix in (DOCUMENTS_SUFFIX, STATE_SUFFIX, ""):
                with contextlib.suppress(Exception):  # it may not exist
                    self._guard(self._client.delete_collection, name + suffix)
            self._open_collections()
            self.lexical.clear(self.revision())

    # Reading ---------------------------------------------------------------------------------

    @_refetching
    def documents(self) -> list[DocumentRecord]:
        records = [
            _record_from(i, m, None)
            for page in _pages(self._docs, ["metadatas"])
            for i, m in zip(page["ids"], page["metadatas"], strict=True)
        ]
        return sorted(records, key=lambda r: r.doc_id)

    @_refetching
    def has_documents(self) -> bool:
        return bool(self._docs.get(limit=1, include=[])["ids"])

    @_refetching
    def attachments(self, doc_id: str) -> list[str]:
        """The ids of the documents attached to ``doc_id`` (a mail's attachments: ``<id>/<name>``
        read from the same file), which go when it goes."""
        record = self.records([doc_id]).get(doc_id)
        if record is None or not record.source:
            return []
        return sorted(
            i
            for page in _pages(self._docs, [], {"source": record.source})
            for i in page["ids"]
            if i.startswith(f"{doc_id}/")
        )

    @_refetching
    def document(self, doc_id: str) -> DocumentRecord | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return _record_from(got["ids"][0], got["metadatas"][0], got["documents"][0])

    @_refetching
    def records(self, doc_ids: Iterable[str]) -> dict[str, DocumentRecord]:
        """The records (without text) of those of ``doc_ids`` that are committed."""
        wanted = sorted(set(doc_ids))
        found: dict[str, DocumentRecord] = {}
        for begin in range(0, len(wanted), READ_PAGE):
            got = self._docs.get(ids=wanted[begin : begin + READ_PAGE], include=["metadatas"])
            found.update(
                (i, _record_from(i, m, None))
                for i, m in zip(got["ids"], got["metadatas"], strict=True)
            )
        return found

    def _hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id -> content hash of those of ``doc_ids`` that are committed."""
        return {d: r.content_hash for d, r in self.records(doc_ids).items()}

    def _all_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every committed document."""
        return {
            i: m["content_hash"]
            for page in _pages(self._docs, ["metadatas"])
            for i, m in zip(page["ids"], page["metadatas"], strict=True)
        }

    def _committed_chunks(self, pages: Iterable[dict[str, Any]]) -> list[Chunk]:
        """The chunks of ``pages`` that belong to their document's committed version, so a
        reader never sees a document half-replaced while a sync runs (or after one was killed)."""
        chunks: list[Chunk] = []
        for page in pages:
            committed = self._hashes(m["doc_id"] for m in page["metadatas"])
            chunks += [
                chunk_from(t, m)
                for t, m in zip(page["documents"], page["metadatas"], strict=True)
                if committed.get(m["doc_id"]) == m["doc_hash"]
            ]
        return sorted(chunks, key=lambda c: (c.doc_id, c.index))

    @_refetching
    def all_chunks(self) -> list[Chunk]:
        return self._committed_chunks(_pages(self._chunks, ["metadatas", "documents"]))

    @_refetching
    def chunks_of(self, doc_id: str) -> list[Chunk]:
        where = {"doc_id": doc_id}
        return self._committed_chunks(_pages(self._chunks, ["metadatas", "documents"], where))

    @_refetching
    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The stored chunks with these ids (whichever version they belong to)."""
        found: dict[str, Chunk] = {}
        for begin in range(0, len(ids), READ_PAGE):
            got = self._chunks.get(
                ids=list(ids[begin : begin + READ_PAGE]), include=["metadatas", "documents"]
            )
            found.update(
                (i, chunk_from(t, m))
                for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            )
        return found

    @_refetching
    def stored_chunks(self) -> list[StoredChunk]:
        return [
            StoredChunk(i, m.get("doc_id", ""), m.get("doc_hash", ""))
            for page in _pages(self._chunks, ["metadatas"])
            for i, m in zip(page["ids"], page["metadatas"], strict=True)
        ]

    @_refetching
    def count(self) -> int:
        return int(self._chunks.count())

    @_refetching
    def revision(self) -> str:
        """Changes whenever a document is added, changed or removed, or the index rebuilt.
        One small read, whatever the size of the index."""
        got = self._state.get(ids=[REVISION_ID], include=["metadatas"])
        token = got["metadatas"][0]["token"] if got["ids"] else ""
        return f"{self._chunks.id}/{token}"

    @_refetching
    def query(
        self, embedding: Sequence[float], n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The ``n`` committed chunks nearest to ``embedding``, with cosine similarity (higher
        = better), as the lexical index shows them: Chroma gives ids and distances, the
        lexical index the chunks of each document's indexed version (a vector of any other
        version is passed over), so a dense hit never shows a version a lexical one does not."""
        self.check_settings()
        if not self._vectors_checked:
            self.check_vectors()
        where: dict[str, Any] | None = None
        if doc_ids is not None:
            wanted = sorted(set(doc_ids))
            if not wanted:
                return []
            where = _in("doc_id", wanted)
        if n <= 0:
            return []
        fetch = n
        while True:
            # No count() first: it is a scan of every chunk, and Chroma returns fewer results
            # than asked for when the collection holds fewer.
            got = self._chunks.query(
                query_embeddings=[list(embedding)],
                n_results=fetch,
                where=where,
                include=["distances"],
            )
            found = list(zip(got["ids"][0], got["distances"][0], strict=True))
            chunks = self.lexical.chunks(i for i, _ in found)
            hits = [(chunks[i], 1.0 - float(distance)) for i, distance in found if i in chunks]
            if len(hits) >= n or len(found) < fetch:
                return hits[:n]
            fetch += n + len(found) - len(hits)

    @_refetching
    def similarities(self, embedding: Sequence[float], ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of ``embedding`` to the stored vectors of these chunks (those
        Chroma holds; vectors are stored normalised)."""
        if not ids:
            return {}
        got = self._chunks.get(ids=list(ids), include=["embeddings"])
        query = list(embedding)
        return {
            i: float(sum(a * b for a, b in zip(query, vector, strict=True)))
            for i, vector in zip(got["ids"], got["embeddings"], strict=True)
        }

    # Writing: the order of these steps is what makes writes crash-safe ----------------------

    def check_room(self, chunks: Sequence[Chunk], records: Sequence[DocumentRecord]) -> None:
        """Refuses a write the disk has no room for, before any of it is written (and before
        its chunks are embedded): a write cut short by a full disk is safe (see
        :meth:`repair`) but costs the time spent. A Chroma server's disk is the server's to
        watch."""
        if self._settings.chroma_url:
            return
        needed = estimated_bytes(
            sum(len(c.text) for c in chunks), len(chunks), sum(len(r.text) for r in records)
        )
        folder = _local_folder(self._settings)
        free = free_bytes(folder)
        if free is not None and free < needed:
            raise disk_full_error(folder, needed)

    def _bump_revision(self) -> None:
        self._state.upsert(
            ids=[REVISION_ID],
            embeddings=[[1.0]],
            metadatas=[{"kind": "revision", "token": uuid.uuid4().hex}],
        )

    def _journal(self, doc_ids: Sequence[str]) -> None:
        """Records that these documents are about to change (see :meth:`repair`)."""
        host = socket.gethostname()
        for begin in range(0, len(doc_ids), self._batch):
            part = doc_ids[begin : begin + self._batch]
            self._state.upsert(
                ids=[PENDING_PREFIX + d for d in part],
                embeddings=[[1.0]] * len(part),
                metadatas=[{"kind": "pending", "doc_id": d, "host": host} for d in part],
            )

    def _unjournal(self, doc_ids: Sequence[str]) -> None:
        for begin in range(0, len(doc_ids), self._batch):
            part = doc_ids[begin : begin + self._batch]
            self._state.delete(ids=[PENDING_PREFIX + d for d in part])

    def _add_chunks(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        for begin in range(0, len(chunks), self._batch):
            part = chunks[begin : begin + self._batch]
            self._chunks.upsert(
                ids=[c.id for c in part],
                embeddings=[list(e) for e in embeddings[begin : begin + self._batch]],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def _commit(self, records: Sequence[DocumentRecord]) -> None:
        """Makes each record (and so the chunks carrying its hash) its document's live version."""
        for begin in range(0, len(records), self._batch):
            part = records[begin : begin + self._batch]
            self._docs.upsert(
                ids=[r.doc_id for r in part],
                embeddings=[[1.0]] * len(part),
                documents=[r.text for r in part],
                metadatas=[
                    {
                        "content_hash": r.content_hash,
                        "title": r.title,
                        "source": r.source,
                        "chunks": r.chunks,
                        "ingested_at": r.ingested_at,
                    }
                    for r in part
                ],
            )

    def _delete_ids(self, ids: Sequence[str]) -> None:
        for begin in range(0, len(ids), self._batch):
            self._chunks.delete(ids=list(ids[begin : begin + self._batch]))

    def _stored_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        """Id and version of every stored chunk of these documents."""
        found: list[StoredChunk] = []
        for begin in range(0, len(doc_ids), DOCUMENTS_PER_FETCH):
            where = _in("doc_id", doc_ids[begin : begin + DOCUMENTS_PER_FETCH])
            found += [
                StoredChunk(i, m["doc_id"], m["doc_hash"])
                for page in _pages(self._chunks, ["metadatas"], where)
                for i, m in zip(page["ids"], page["metadatas"], strict=True)
            ]
        return found

    def _index_lexically(
        self, doc_ids: Sequence[str], before: str | None, versions: Sequence[NewVersion] = ()
    ) -> None:
        """Brings the lexical index in line with the committed state of ``doc_ids``, whose new
        chunks are given in ``versions`` or else read back; marks it in step with the store's
        revision if it was in step with ``before``."""
        given = {v.record.doc_id: v for v in versions}
        live = self._hashes(doc_ids)
        fetch = [d for d in live if d not in given or given[d].record.content_hash != live[d]]
        fetched: dict[str, list[Chunk]] = {}
        for begin in range(0, len(fetch), DOCUMENTS_PER_FETCH):
            where = _in("doc_id", fetch[begin : begin + DOCUMENTS_PER_FETCH])
            for chunk in self._committed_chunks(
                _pages(self._chunks, ["metadatas", "documents"], where)
            ):
                fetched.setdefault(chunk.doc_id, []).append(chunk)
        replaced = [
            (d, h, fetched.get(d, []) if d in fetch else given[d].chunks) for d, h in live.items()
        ]
        removed = [d for d in doc_ids if d not in live]
        advance = None if before is None else (before, self.revision())
        self.lexical.apply(replaced, removed, advance)

    @_refetching
    def put(self, versions: Sequence[NewVersion]) -> None:
        """Writes these document versions, each replacing the document's previous one."""
        if not versions:
            return
        doc_ids = [v.record.doc_id for v in versions]
        self._writable()
        with self.lock.hold():
            self.check_room([c for v in versions for c in v.chunks], [v.record for v in versions])
            before = self.revision()
            previous = self._hashes(doc_ids)
            self._journal(doc_ids)
            for version in versions:
                self._add_chunks(version.chunks, version.embeddings)
            crash_point("after_add")
            self._commit([v.record for v in versions])
            crash_point("after_commit")
            self._bump_revision()
            self._index_lexically(doc_ids, before, versions)
            crash_point("after_lexical")
            keep = {c.id for v in versions for c in v.chunks}
            replaced = [d for d in doc_ids if d in previous]
            self._delete_ids([c.id for c in self._stored_of(replaced) if c.id not in keep])
            self._unjournal(doc_ids)

    @_refetching
    def remove(self, doc_id: str) -> bool:
        """Removes a document: its record first (the commit point), then its chunks."""
        self._writable()
        with self.lock.hold():
            if not self._docs.get(ids=[doc_id], include=[])["ids"]:
                return False
            before = self.revision()
            self._journal([doc_id])
            self._docs.delete(ids=[doc_id])
            crash_point("after_record_delete")
            self._bump_revision()
            self._index_lexically([doc_id], before)
            self._delete_ids([c.id for c in self._stored_of([doc_id])])
            self._unjournal([doc_id])
            return True

    # Recovery and catching up ----------------------------------------------------------------

    def _pending(self) -> list[str]:
        """Documents journalled on this machine: only a crashed run can have left them, since
        the caller holds the write lock. Other machines' entries are theirs to repair."""
        host = socket.gethostname()
        return sorted(
            m["doc_id"]
            for page in _pages(self._state, ["metadatas"], {"kind": "pending"})
            for m in page["metadatas"]
            if m.get("host") == host
        )

    @_refetching
    def repair(self) -> set[str]:
        """Puts right what an interrupted run left (uncommitted or stale chunks, a lexical
        index behind the commits) and returns the ids of documents whose chunk count does not
        match their record (to be re-ingested). Costs one read when no run was interrupted."""
        self._writable()
        with self.lock.hold():
            pending = self._pending()
            damaged: set[str] = set()
            if pending:
                self._index_lexically(pending, None)
                live = self._hashes(pending)
                stale, counts = [], dict.fromkeys(pending, 0)
                for chunk in self._stored_of(pending):
                    if live.get(chunk.doc_id) == chunk.doc_hash:
                        counts[chunk.doc_id] += 1
                    else:
                        stale.append(chunk.id)
                self._delete_ids(stale)
                records = self.records(pending)
                damaged = {d for d, r in records.items() if counts[d] != r.chunks}
                self._unjournal(pending)
            self.catch_up()
            return damaged

    @_refetching
    def catch_up(self, *, wait: bool = True, waiting: Waiting | None = None) -> bool:
        """Brings the lexical index in step with the store's revision, re-indexing only the
        documents whose content hash differs, and its postings in step with it. Returns False
        if the index is behind and another writer holds the lock (with ``wait=False``): that
        writer will bring it up to date."""
        if self.lexical.in_step(self.revision()):
            return True
        with self.lock.hold(wait=wait, waiting=waiting) as held:
            if not held:
                return False
            revision = self.revision()
            synced = self.lexical.synced()
            if synced != revision:
                if synced is None or synced.split("/")[0] != revision.split("/")[0]:
                    self.lexical.clear(synced or "")
                live = self._all_hashes()
                indexed = self.lexical.documents()
                changed = [d for d, h in live.items() if indexed.get(d) != h]
                gone = [d for d in indexed if d not in live]
                self.lexical.apply(removed=gone)
                for begin in range(0, len(changed), DOCUMENTS_PER_FETCH):
                    self._index_lexically(changed[begin : begin + DOCUMENTS_PER_FETCH], None)
                self.lexical.mark_synced(revision)
            self.lexical.update_postings()
            return True
