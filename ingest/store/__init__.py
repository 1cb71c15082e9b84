"""The index: chunk vectors and one record per document in Chroma, and a lexical index.

:class:`ChunkStore` is the one object callers hold; it puts together the parts of this
package, each with one job:

- :mod:`~ingest.store.chroma`: connecting to Chroma (embedded or a server), its collections;
- :mod:`~ingest.store.index_settings`: the settings the vectors were made with, checked on use;
- :mod:`~ingest.store.commit_log`: the revision and the journal that make writes crash-safe;
- :mod:`~ingest.store.catalog`: chunks and records, and the lexical index kept in step;
- :mod:`~ingest.store.paging`: reads of many records, a page at a time;
- :mod:`~ingest.store.locations`: where the index's files live.

Every write holds the index's write lock (:mod:`ingest.lock`), so two ingests never take each
other's work for crash leftovers, and first brings the lexical index in step if it is behind.
Reads never take the lock: a reader calls :meth:`ChunkStore.refresh` to see the latest commit
(see ``catalog.Backlog``), and its searches read the committed state whatever a writer in
another process is doing.

A ``--rebuild`` (by another process, or another ``ChunkStore`` in this one) replaces the whole
store folder (see ``ingest.rebuild``), or on a Chroma server drops and re-creates the
collections; a store that was already open then reconnects, or fetches them again, on its
next call instead of reading the old index or failing on the dropped collections, and its
lexical index starts over.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from ingest.crash import crash_point
from ingest.errors import DiskFullError, StoreError
from ingest.faults import (
    Guard,
    GuardedCollection,
    disk_full_error,
    estimated_bytes,
    free_bytes,
    rebuild_command,
)
from ingest.lexical_index import LexicalIndex
from ingest.lock import Waiting, WriteLock
from ingest.records import Chunk, DocumentRecord, chunk_from
from ingest.store import chroma
from ingest.store.catalog import Backlog, ChunkCatalog, NewVersion, record_from
from ingest.store.commit_log import CommitLog, StoredChunk, leftovers
from ingest.store.index_settings import (
    collection_metadata,
    differing,
    index_settings,
    mismatch_error,
    runtime_to_use,
    stored_settings,
)
from ingest.store.locations import (
    CHROMA_DATABASE,
    lexical_path,
    local_folder,
    lock_path,
    readable,
)
from ingest.store.paging import READ_PAGE, pages, where_in

if TYPE_CHECKING:
    from ingest.settings import Settings

__all__ = ["ChunkStore", "NewVersion", "StoredChunk", "index_settings"]

DOCUMENTS_SUFFIX = "-documents"
STATE_SUFFIX = "-state"

P = ParamSpec("P")
R = TypeVar("R")


def _refetching(
    method: Callable[Concatenate[ChunkStore, P], R],
) -> Callable[Concatenate[ChunkStore, P], R]:
    """Runs ``method`` again on freshly fetched collections if the ones held were dropped by a
    rebuild elsewhere. Every method so wrapped is safe to repeat (reads, upserts, deletes).
    A full disk or a damaged file met by the lexical index becomes a StoreError saying so
    (Chroma's own faults are translated by the store's ``Guard``)."""

    @functools.wraps(method)
    def wrapper(self: ChunkStore, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._stale or chroma.folder_identity(self._settings) != self._identity:
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
            if not chroma.is_dropped_collection(exc):
                raise
            self._open_collections()
            return method(self, *args, **kwargs)

    return wrapper


class ChunkStore:
    """Chunks and document records of one index, embedded or on a Chroma server."""

    def __init__(
        self, client: Any, settings: Settings, *, read_only_origin: Path | None = None
    ) -> None:
        self._client = client
        self._use(settings, None)
        self.read_only_origin = read_only_origin
        """The read-only folder this store is a private copy of (None: the store itself)."""
        self._identity = chroma.folder_identity(settings)
        self._guard = Guard(
            self.location,
            None if settings.chroma_url else settings.store_dir,
            settings.chroma_retry_seconds,
            settings.chroma_url,
        )
        self._vectors_checked = False
        self._stale = False
        self._backlog = Backlog.empty()
        self._batch = max(1, int(self._guard(client.get_max_batch_size)))
        self.lexical = LexicalIndex(lexical_path(settings))
        self.lock = WriteLock(lock_path(settings))
        self._open_collections()
        if settings.embedding_runtime is None and self.has_documents():
            self._use(settings, self.built_with())

    def _use(self, settings: Settings, built: dict[str, Any] | None) -> None:
        """Makes ``settings``, with the embedding runtime of :func:`runtime_to_use`, the ones
        this store embeds with, creates a new index with and checks the index against."""
        runtime = runtime_to_use(settings, built)
        self._settings = settings.model_copy(update={"embedding_runtime": runtime})
        self._wanted = index_settings(settings, runtime)

    @property
    def settings(self) -> Settings:
        """The settings this store was opened with, the embedding runtime filled in: when
        unset, the one the index's documents were embedded with, or a new index's. What its
        embedder must be made with. Fixed once open (an embedder made with them is too): a
        reset keeps them, and an index rebuilt elsewhere on another runtime is reported as a
        mismatch rather than searched with the wrong vectors."""
        return self._settings

    @classmethod
    def _ready(
        cls, client: Any, settings: Settings, read_only_origin: Path | None = None
    ) -> ChunkStore:
        """The store on ``client``, its lexical index brought up to date (:meth:`_prepare`)."""
        store = cls(client, settings, read_only_origin=read_only_origin)
        store._prepare()
        return store

    def _prepare(self) -> None:
        """What opening an index does besides connecting: the lexical index's migrations that
        need the store's chunks (``ingest.migrations``); a new index's lexical index marked in
        step; a lexical index found damaged or lost, or postings never built for it (a
        migration that changed what they hold), rebuilt, unless a writer is busy (it will be).
        Searches themselves never write (see :meth:`refresh`)."""
        self.lexical.migrate(self.chunks_by_id)
        if self.lexical.synced() is None and not self.has_documents():
            self.lexical.mark_synced(self.revision())
        lexical = self.lexical
        if lexical.damaged or lexical.synced() is None or lexical.behind_postings() is None:
            self.catch_up(wait=False)

    @classmethod
    def open(cls, settings: Settings) -> ChunkStore:
        """The index named by ``settings``, created empty if there is none yet; an index on
        read-only media is opened through a private copy, for searching only."""
        settings, origin = readable(settings)
        return cls._ready(chroma.connect(settings), settings, origin)

    @classmethod
    def open_existing(cls, settings: Settings) -> ChunkStore:
        """The index named by ``settings``; StoreError if there is none (a mistyped --store
        must not leave an empty index behind)."""
        if settings.chroma_url:
            client = chroma.connect(settings)
            if settings.collection not in {c.name for c in client.list_collections()}:
                raise StoreError(
                    f"No index named {settings.collection!r} on the Chroma server "
                    f"{settings.chroma_url}",
                    "build one with 'citewise ingest PATH', or check the setting collection",
                )
            return cls._ready(client, settings)
        if not (settings.store_dir / CHROMA_DATABASE).is_file():
            raise StoreError(
                f"No index in {settings.store_dir}",
                f"build one with 'citewise ingest PATH --store {settings.store_dir}', "
                "or check the --store folder",
            )
        return cls.open(settings)

    def _reconnect(self) -> None:
        """Connects again: after a rebuild swapped the folder, to the new one, whose lexical
        index is opened in place of the old one's."""
        self._stale = False
        self._client = chroma.connect(self._settings)
        identity = chroma.folder_identity(self._settings)
        if identity != self._identity:
            self.lexical.close()
            self.lexical = LexicalIndex(lexical_path(self._settings))
            self._backlog = Backlog.empty()
        self._identity = identity
        self._open_collections()

    def _restart_client(self) -> None:
        """Stops Chroma's client after a write failed for want of disk space (it hangs on the
        next write otherwise), so the next call opens a fresh one."""
        if self._settings.chroma_url:
            return
        chroma.stop_client(str(self._settings.store_dir))
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
        self._chunks = self._collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=collection_metadata(self._wanted),
        )
        self._docs = self._collection(name + DOCUMENTS_SUFFIX)
        self._log = CommitLog(self._collection(name + STATE_SUFFIX), self._batch)
        self._catalog = ChunkCatalog(self._chunks, self._docs, self.lexical, self._batch)

    def _collection(self, name: str, **creation: Any) -> GuardedCollection:
        return chroma.open_collection(self._client, self._guard, name, **creation)

    # Index settings --------------------------------------------------------------------------

    def built_with(self) -> dict[str, Any]:
        """The index settings stored with the chunk collection."""
        return stored_settings(self._chunks.metadata)

    @_refetching
    def check_vectors(self) -> None:
        """Raises StoreError if the vector index is damaged: Chroma then answers a
        nearest-neighbour search from what it has not yet moved into it, silently missing
        the rest."""
        fault = chroma.vector_fault(self._chunks)
        if fault is not None:
            raise StoreError(
                f"The vector index in {self.location} is damaged ({fault}): answers would "
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
        names = differing(self._wanted, stored)
        if not names:
            return
        if self._docs.count() == 0:
            self.reset()
            return
        raise mismatch_error(self.location, self._wanted, stored, names)

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
            self._backlog = Backlog.empty()

    # Reading ---------------------------------------------------------------------------------

    @_refetching
    def documents(self) -> list[DocumentRecord]:
        return self._catalog.documents()

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
            for page in pages(self._docs, [], {"source": record.source})
            for i in page["ids"]
            if i.startswith(f"{doc_id}/")
        )

    @_refetching
    def document(self, doc_id: str) -> DocumentRecord | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return record_from(got["ids"][0], got["metadatas"][0], got["documents"][0])

    @_refetching
    def records(self, doc_ids: Iterable[str]) -> dict[str, DocumentRecord]:
        """The records (without text) of those of ``doc_ids`` that are committed."""
        return self._catalog.records(doc_ids)

    @_refetching
    def all_chunks(self) -> list[Chunk]:
        return self._catalog.committed_chunks(pages(self._chunks, ["metadatas", "documents"]))

    @_refetching
    def chunks_of(self, doc_id: str) -> list[Chunk]:
        where = {"doc_id": doc_id}
        return self._catalog.committed_chunks(
            pages(self._chunks, ["metadatas", "documents"], where)
        )

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
            for page in pages(self._chunks, ["metadatas"])
            for i, m in zip(page["ids"], page["metadatas"], strict=True)
        ]

    @_refetching
    def count(self) -> int:
        return int(self._chunks.count())

    @_refetching
    def revision(self) -> str:
        """Changes whenever a document is added, changed or removed, or the index rebuilt.
        One small read, whatever the size of the index."""
        return f"{self._chunks.id}/{self._log.token()}"

    @_refetching
    def query(
        self, embedding: Sequence[float], n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The ``n`` committed chunks nearest to ``embedding``, with cosine similarity (higher
        = better), as :meth:`committed_chunks` shows them: Chroma gives ids and distances, the
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
            where = where_in("doc_id", wanted)
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
            chunks = self.committed_chunks(i for i, _ in found)
            hits = [(chunks[i], 1.0 - float(distance)) for i, distance in found if i in chunks]
            if len(hits) >= n or len(found) < fetch:
                return hits[:n]
            fetch += n + len(found) - len(hits)

    @_refetching
    def refresh(self) -> None:
        """Brings what this store's searches show up to the latest commit, without writing or
        waiting for a writer: if the lexical index is behind, what it shows wrongly is read
        from the committed record. Three small reads when it is in step."""
        self._backlog = self._catalog.backlog(self.revision(), self._backlog)

    def committed_chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The chunks among ``ids`` of each document's committed version (as of the last
        :meth:`refresh`), read from the lexical index."""
        return self._backlog.committed(self.lexical, ids)

    def search_lexically(
        self, question: str, n: int, doc_ids: Iterable[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Up to ``n`` committed chunks sharing terms with ``question`` (of ``doc_ids`` only,
        if given), best BM25 score first, as of the last :meth:`refresh`."""
        backlog = self._backlog
        wanted = None if doc_ids is None else list(doc_ids)
        hits = backlog.search(self.lexical, question, n, wanted)
        # A writer may drop a hit's document between the two reads.
        chunks = backlog.committed(self.lexical, (i for i, _ in hits))
        return [(chunks[i], score) for i, score in hits if i in chunks]

    def searchable_chunk_ids(self) -> set[str]:
        """Ids of every chunk a search can find (as of the last :meth:`refresh`)."""
        return self._backlog.chunk_ids(self.lexical)

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
        folder = local_folder(self._settings)
        free = free_bytes(folder)
        if free is not None and free < needed:
            raise disk_full_error(folder, needed)

    @_refetching
    def put(self, versions: Sequence[NewVersion]) -> None:
        """Writes these document versions, each replacing the document's previous one."""
        if not versions:
            return
        doc_ids = [v.record.doc_id for v in versions]
        self._writable()
        with self.lock.hold():
            self.check_room([c for v in versions for c in v.chunks], [v.record for v in versions])
            before = self._caught_up()
            previous = self._catalog.hashes(doc_ids)
            self._log.journal(doc_ids)
            for version in versions:
                self._catalog.add_chunks(version.chunks, version.embeddings)
            crash_point("after_add")
            self._catalog.commit([v.record for v in versions])
            crash_point("after_commit")
            self._log.bump()
            self._catalog.index_lexically(doc_ids, (before, self.revision()), versions)
            crash_point("after_lexical")
            keep = {c.id for v in versions for c in v.chunks}
            replaced = [d for d in doc_ids if d in previous]
            stale = [c.id for c in self._catalog.stored_of(replaced) if c.id not in keep]
            self._catalog.delete_ids(stale)
            self._log.unjournal(doc_ids)

    @_refetching
    def remove(self, doc_id: str) -> bool:
        """Removes a document: its record first (the commit point), then its chunks."""
        self._writable()
        with self.lock.hold():
            if not self._docs.get(ids=[doc_id], include=[])["ids"]:
                return False
            before = self._caught_up()
            self._log.journal([doc_id])
            self._docs.delete(ids=[doc_id])
            crash_point("after_record_delete")
            self._log.bump()
            self._catalog.index_lexically([doc_id], (before, self.revision()))
            self._catalog.delete_ids([c.id for c in self._catalog.stored_of([doc_id])])
            self._log.unjournal([doc_id])
            return True

    # Recovery and catching up ----------------------------------------------------------------

    @_refetching
    def repair(self) -> set[str]:
        """Puts right what an interrupted run left (uncommitted or stale chunks, a lexical
        index behind the commits) and returns the ids of documents whose chunk count does not
        match their record (to be re-ingested). Costs one read when no run was interrupted."""
        self._writable()
        with self.lock.hold():
            pending = self._log.pending()
            damaged: set[str] = set()
            if pending:
                self._catalog.index_lexically(pending)
                live = self._catalog.hashes(pending)
                left = leftovers(pending, live, self._catalog.stored_of(pending))
                self._catalog.delete_ids(left.stale)
                records = self.records(pending)
                damaged = {d for d, r in records.items() if left.counts[d] != r.chunks}
                self._log.unjournal(pending)
            self.catch_up()
            return damaged

    @_refetching
    def catch_up(self, *, wait: bool = True, waiting: Waiting | None = None) -> bool:
        """Brings the lexical index in step with the store's revision, re-indexing only the
        documents whose content hash differs, and its postings in step with it (a writer's
        job: readers call :meth:`refresh`). Returns False if the index is behind and another
        writer holds the lock (with ``wait=False``): that writer will bring it up to date."""
        if self.lexical.in_step(self.revision()):
            return True
        with self.lock.hold(wait=wait, waiting=waiting) as held:
            if held:
                self._caught_up()
            return held

    def _caught_up(self) -> str:
        """Brings the lexical index in step with the store (the caller holds the write lock)
        and returns the store's revision."""
        revision = self.revision()
        if not self.lexical.in_step(revision):
            self._catalog.catch_up(revision)
        self._backlog = Backlog.empty()
        return revision
