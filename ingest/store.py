"""The index: chunk vectors and one record per document, in Chroma.

Two collections make the index exact. ``<collection>`` holds chunk vectors (cosine space);
``<collection>-documents`` holds one record per document with its content hash. A document's
record is its commit point: chunks whose ``doc_hash`` differs from their record (or that have no
record) are leftovers of an interrupted run and :meth:`ChunkStore.repair` deletes them.

The chunk collection's metadata records the settings that shaped its vectors (embedding model,
chunking), so vectors of two models are never mixed.

A ``--rebuild`` (by another process, or another ``ChunkStore`` in this one) replaces the whole
store folder (see ``ingest.rebuild``), or on a Chroma server drops and re-creates both
collections; a store that was already open then reconnects, or fetches them again, on its
next call instead of reading the old index or failing on the dropped collections.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlparse

from ingest.chunker import CHUNKER_VERSION
from ingest.errors import IndexSettingsMismatch, StoreError
from ingest.records import Chunk, DocumentRecord

if TYPE_CHECKING:
    from ingest.settings import Settings

INDEX_FORMAT = 1
"""Bump when chunk ids or metadata change shape: old indexes then need --rebuild."""
DOCUMENTS_SUFFIX = "-documents"
SETTING_PREFIX = "citewise:"
CRASH_ENV = "CITEWISE_TEST_CRASH_AT"
CHROMA_DATABASE = "chroma.sqlite3"

P = ParamSpec("P")
R = TypeVar("R")


def crash_point(stage: str) -> None:
    """Kills this process at ``stage`` when the crash-recovery tests ask for it."""
    if os.environ.get(CRASH_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def index_settings(settings: Settings) -> dict[str, str | int]:
    """Everything that must match for two vectors or two chunkings to be comparable."""
    return {
        "embedding_model": settings.embedding_model,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "chunker_version": CHUNKER_VERSION,
        "index_format": INDEX_FORMAT,
    }


@dataclass(frozen=True)
class StoredChunk:
    """A chunk id with the metadata that ties it to its document version."""

    id: str
    doc_id: str
    doc_hash: str


def _chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "doc_id": chunk.doc_id,
        "doc_hash": chunk.doc_hash,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": chunk.title,
        "source": chunk.source,
        "heading": " > ".join(chunk.heading_path),
        "heading_path": json.dumps(list(chunk.heading_path), ensure_ascii=False),
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta


def _chunk_from(text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        doc_id=meta["doc_id"],
        index=int(meta["index"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        heading_path=tuple(json.loads(meta.get("heading_path", "[]"))),
        page=meta.get("page"),
        doc_hash=meta.get("doc_hash", ""),
    )


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
        raise StoreError(
            f"Cannot open the index in {settings.store_dir}: {exc}", _creation_hint(exc)
        ) from None


def _is_dropped_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def _refetching(
    method: Callable[Concatenate[ChunkStore, P], R],
) -> Callable[Concatenate[ChunkStore, P], R]:
    """Runs ``method`` again on freshly fetched collections if the ones held were dropped by a
    rebuild elsewhere. Every method so wrapped is safe to repeat (reads, upserts, deletes)."""

    @functools.wraps(method)
    def wrapper(self: ChunkStore, *args: P.args, **kwargs: P.kwargs) -> R:
        if _folder_identity(self._settings) != self._identity:
            self._reconnect()
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not _is_dropped_collection(exc):
                raise
            self._open_collections()
            return method(self, *args, **kwargs)

    return wrapper


class ChunkStore:
    """Chunks and document records of one index, embedded or on a Chroma server."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._identity = _folder_identity(settings)
        self._wanted = index_settings(settings)
        self._batch = max(1, int(client.get_max_batch_size()))
        self._open_collections()

    @classmethod
    def open(cls, settings: Settings) -> ChunkStore:
        """The index named by ``settings``, created empty if there is none yet."""
        return cls(_connect(settings), settings)

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
        return cls(_connect(settings), settings)

    def _reconnect(self) -> None:
        self._client = _connect(self._settings)
        self._identity = _folder_identity(self._settings)
        self._open_collections()

    def close(self) -> None:
        """Releases Chroma's client, so the folder can be moved (see ``ingest.rebuild``)."""
        self._client.close()

    @property
    def location(self) -> str:
        return self._settings.chroma_url or str(self._settings.store_dir)

    def _open_collections(self) -> None:
        name = self._settings.collection
        meta = {SETTING_PREFIX + k: v for k, v in self._wanted.items()}
        self._chunks = self._client.get_or_create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=meta,
            embedding_function=None,
        )
        self._docs = self._client.get_or_create_collection(
            name + DOCUMENTS_SUFFIX, embedding_function=None
        )

    # Index settings --------------------------------------------------------------------------

    def built_with(self) -> dict[str, Any]:
        """The index settings stored with the chunk collection."""
        meta = self._chunks.metadata or {}
        return {
            k[len(SETTING_PREFIX) :]: v for k, v in meta.items() if k.startswith(SETTING_PREFIX)
        }

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
        for name in (self._settings.collection + DOCUMENTS_SUFFIX, self._settings.collection):
            with contextlib.suppress(Exception):  # it may not exist
                self._client.delete_collection(name)
        self._open_collections()

    # Reading ---------------------------------------------------------------------------------

    @_refetching
    def documents(self) -> list[DocumentRecord]:
        got = self._docs.get(include=["metadatas"])
        records = [
            _record_from(i, m, None) for i, m in zip(got["ids"], got["metadatas"], strict=True)
        ]
        return sorted(records, key=lambda r: r.doc_id)

    @_refetching
    def document(self, doc_id: str) -> DocumentRecord | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return _record_from(got["ids"][0], got["metadatas"][0], got["documents"][0])

    def _committed(self) -> dict[str, str]:
        """doc_id -> content hash of every committed document."""
        got = self._docs.get(include=["metadatas"])
        return {i: m["content_hash"] for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def _chunks_where(self, where: dict[str, Any] | None) -> list[Chunk]:
        """Chunks of committed document versions only, so a reader never sees a document
        half-replaced while a sync runs (or after one was killed)."""
        committed = self._committed()
        got = self._chunks.get(where=where, include=["metadatas", "documents"])
        chunks = [
            _chunk_from(t, m)
            for t, m in zip(got["documents"], got["metadatas"], strict=True)
            if committed.get(m["doc_id"]) == m["doc_hash"]
        ]
        return sorted(chunks, key=lambda c: (c.doc_id, c.index))

    @_refetching
    def all_chunks(self) -> list[Chunk]:
        return self._chunks_where(None)

    @_refetching
    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self._chunks_where({"doc_id": doc_id})

    @_refetching
    def stored_chunks(self) -> list[StoredChunk]:
        got = self._chunks.get(include=["metadatas"])
        return [
            StoredChunk(i, m.get("doc_id", ""), m.get("doc_hash", ""))
            for i, m in zip(got["ids"], got["metadatas"], strict=True)
        ]

    @_refetching
    def count(self) -> int:
        return int(self._chunks.count())

    @_refetching
    def revision(self) -> str:
        """Changes whenever a document is added, changed or removed, or the index rebuilt."""
        got = self._docs.get(include=["metadatas"])
        digest = hashlib.sha256(str(self._chunks.id).encode())
        for doc_id, meta in sorted(zip(got["ids"], got["metadatas"], strict=True)):
            digest.update(f"{doc_id}\0{meta['content_hash']}\0{meta.get('ingested_at')}\n".encode())
        return digest.hexdigest()[:16]

    @_refetching
    def query(
        self, embedding: Sequence[float], n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The ``n`` chunks nearest to ``embedding``, with cosine similarity (higher = better)."""
        self.check_settings()
        where: dict[str, Any] | None = None
        if doc_ids is not None:
            wanted = sorted(set(doc_ids))
            if not wanted:
                return []
            where = {"doc_id": wanted[0]} if len(wanted) == 1 else {"doc_id": {"$in": wanted}}
        if n <= 0:
            return []
        committed = self._committed()
        fetch = n
        while True:
            total = self._chunks.count()
            if total == 0:
                return []
            got = self._chunks.query(
                query_embeddings=[list(embedding)],
                n_results=max(1, min(fetch, total)),
                where=where,
                include=["metadatas", "documents", "distances"],
            )
            found = list(
                zip(got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True)
            )
            hits = [
                (_chunk_from(text, meta), 1.0 - float(distance))
                for text, meta, distance in found
                if committed.get(meta["doc_id"]) == meta["doc_hash"]
            ]
            if len(hits) >= n or len(found) < fetch or fetch >= total:
                return hits[:n]
            fetch += n + len(found) - len(hits)

    # Writing (the order of these calls is what makes sync crash-safe; see ingest.sync) -------

    @_refetching
    def add_chunks(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        for begin in range(0, len(chunks), self._batch):
            part = chunks[begin : begin + self._batch]
            self._chunks.upsert(
                ids=[c.id for c in part],
                embeddings=[list(e) for e in embeddings[begin : begin + self._batch]],
                documents=[c.text for c in part],
                metadatas=[_chunk_metadata(c) for c in part],
            )

    @_refetching
    def commit(self, record: DocumentRecord) -> None:
        """Makes ``record`` (and so the chunks carrying its hash) the document's live version."""
        self._docs.upsert(
            ids=[record.doc_id],
            embeddings=[[1.0]],
            documents=[record.text],
            metadatas=[
                {
                    "content_hash": record.content_hash,
                    "title": record.title,
                    "source": record.source,
                    "chunks": record.chunks,
                    "ingested_at": record.ingested_at,
                }
            ],
        )

    def _delete_ids(self, ids: Sequence[str]) -> None:
        for begin in range(0, len(ids), self._batch):
            self._chunks.delete(ids=list(ids[begin : begin + self._batch]))

    @_refetching
    def delete_stale(self, doc_id: str, keep: Iterable[str]) -> int:
        """Deletes the chunks of ``doc_id`` that are not in ``keep``."""
        kept = set(keep)
        ids = self._chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
        stale = [i for i in ids if i not in kept]
        self._delete_ids(stale)
        return len(stale)

    @_refetching
    def remove(self, doc_id: str) -> bool:
        """Removes a document: its record first (the commit point), then its chunks."""
        if not self._docs.get(ids=[doc_id], include=[])["ids"]:
            return False
        self._docs.delete(ids=[doc_id])
        crash_point("after_record_delete")
        self._chunks.delete(where={"doc_id": doc_id})
        return True

    @_refetching
    def repair(self) -> set[str]:
        """Deletes chunks left by an interrupted run and returns the ids of documents whose
        chunk count does not match their record (to be re-ingested)."""
        records = self._docs.get(include=["metadatas"])
        live = {i: m for i, m in zip(records["ids"], records["metadatas"], strict=True)}
        stale, counts = [], Counter[str]()
        for chunk in self.stored_chunks():
            record = live.get(chunk.doc_id)
            if record is None or record["content_hash"] != chunk.doc_hash:
                stale.append(chunk.id)
            else:
                counts[chunk.doc_id] += 1
        self._delete_ids(stale)
        return {doc_id for doc_id, meta in live.items() if counts[doc_id] != int(meta["chunks"])}
