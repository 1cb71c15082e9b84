"""The chunk catalog: chunks and document records in Chroma, and the lexical index kept in
step with them.

``<collection>`` holds chunk vectors (cosine space) with each chunk's text and metadata;
``<collection>-documents`` holds one record per document with its content hash. A reader
takes a chunk for part of its document only if its ``doc_hash`` is the record's, so it never
sees a document half-replaced while a write runs (or after one was killed).

Beside Chroma, a :class:`~ingest.lexical_index.LexicalIndex` (SQLite, and tantivy for the
postings) holds each document's committed chunks and their terms. Writers update it after each
commit and record the revision it matches; a writer that finds another revision (a crash
between commit and update, or another machine writing to a Chroma server) catches up document
by document (:meth:`ChunkCatalog.catch_up`), comparing content hashes, never re-reading the
whole corpus.

Readers never write, so never wait for the write lock: a reader that finds the lexical index
behind reads what it shows wrongly from the committed record into a :class:`Backlog`, which
its searches use beside the postings until the next writer catches the index up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.lexical_index import LexicalIndex, chunk_terms, question_tokens
from ingest.postings import Postings
from ingest.records import Chunk, DocumentRecord, chunk_from, chunk_metadata
from ingest.store.commit_log import StoredChunk
from ingest.store.paging import DOCUMENTS_PER_FETCH, READ_PAGE, pages, where_in

CHUNKS_PER_WRITE = 512
"""Chunks written to Chroma in one call. A large document's vectors are made as they are
written (``ingest.sync``), so this is also how many of them are held at once: at Chroma's own
limit (5,461 embedded) a 100,000-row sheet held 70 MB of them."""


@dataclass(frozen=True)
class NewVersion:
    """A document version to write: its record, its chunks and their embeddings."""

    record: DocumentRecord
    chunks: Sequence[Chunk]
    embeddings: Sequence[Sequence[float]]


@dataclass(frozen=True)
class Backlog:
    """What a reader holds of the committed state that the lexical index's postings do not
    show: each such document's committed chunks (none: the document is gone), with postings
    of them in memory. Its searches leave those documents out of the postings on disk and
    search these beside them; their BM25 statistics are their own, so until the next writer
    catches up, their scores are close to, not exactly, those the index would give."""

    state: tuple[str, str | None, tuple[str, ...] | None]
    """What it was read for: the store revision, the lexical index's, the documents behind."""
    chunks: dict[str, list[Chunk]]
    postings: Postings | None

    @classmethod
    def empty(cls) -> Backlog:
        """The lexical index shows the committed state as it is."""
        return cls(("", None, ()), {}, None)

    def committed(self, lexical: LexicalIndex, ids: Iterable[str]) -> dict[str, Chunk]:
        """The chunks among ``ids`` of each document's committed version."""
        wanted = list(ids)
        found = lexical.chunks(wanted)
        if not self.chunks:
            return found
        found = {i: c for i, c in found.items() if c.doc_id not in self.chunks}
        held = {c.id: c for chunks in self.chunks.values() for c in chunks}
        found.update((i, held[i]) for i in wanted if i in held)
        return found

    def chunk_ids(self, lexical: LexicalIndex) -> set[str]:
        """Ids of every committed chunk a search can find."""
        indexed = lexical.chunk_ids()
        if not self.chunks:
            return indexed
        kept = {i for i in indexed if i.rsplit("#", 2)[0] not in self.chunks}
        return kept | {c.id for chunks in self.chunks.values() for c in chunks}

    def search(
        self, lexical: LexicalIndex, question: str, n: int, doc_ids: list[str] | None
    ) -> list[tuple[str, float]]:
        """Ids of the ``n`` committed chunks (of ``doc_ids``, if given) best matching
        ``question`` by BM25, best first."""
        hits = lexical.search(question, n, doc_ids, excluded=sorted(self.chunks))
        tokens = question_tokens(question)
        if self.postings is None or not tokens or n <= 0 or doc_ids == []:
            return hits
        wanted = None if doc_ids is None else sorted(set(doc_ids))
        held = self.postings.search(tokens, n, wanted)
        return sorted([*hits, *held], key=lambda hit: hit[1], reverse=True)[:n]


def _same_collection(a: str, b: str) -> bool:
    """Whether two store revisions are of one chunk collection (not dropped and re-created)."""
    return a.split("/")[0] == b.split("/")[0]


def record_from(doc_id: str, meta: dict[str, Any], text: str | None) -> DocumentRecord:
    return DocumentRecord(
        doc_id=doc_id,
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        content_hash=meta["content_hash"],
        chunks=int(meta["chunks"]),
        ingested_at=meta.get("ingested_at", ""),
        text=text or "",
    )


def _record_metadata(record: DocumentRecord) -> dict[str, str | int]:
    return {
        "content_hash": record.content_hash,
        "title": record.title,
        "source": record.source,
        "chunks": record.chunks,
        "ingested_at": record.ingested_at,
    }


class ChunkCatalog:
    """The chunk collection ``chunks``, the record collection ``docs`` and the lexical index
    ``lexical`` of one index; writes go ``batch`` records at a time."""

    def __init__(self, chunks: Any, docs: Any, lexical: LexicalIndex, batch: int) -> None:
        self.chunks = chunks
        self.docs = docs
        self.lexical = lexical
        self._batch = batch

    # Records -----------------------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        records = [
            record_from(i, m, None)
            for page in pages(self.docs, ["metadatas"])
            for i, m in zip(page["ids"], page["metadatas"], strict=True)
        ]
        return sorted(records, key=lambda r: r.doc_id)

    def records(self, doc_ids: Iterable[str]) -> dict[str, DocumentRecord]:
        """The records (without text) of those of ``doc_ids`` that are committed."""
        wanted = sorted(set(doc_ids))
        found: dict[str, DocumentRecord] = {}
        for begin in range(0, len(wanted), READ_PAGE):
            got = self.docs.get(ids=wanted[begin : begin + READ_PAGE], include=["metadatas"])
            found.update(
                (i, record_from(i, m, None))
                for i, m in zip(got["ids"], got["metadatas"], strict=True)
            )
        return found

    def hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id -> content hash of those of ``doc_ids`` that are committed."""
        return {d: r.content_hash for d, r in self.records(doc_ids).items()}

    def all_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every committed document."""
        return {
            i: m["content_hash"]
            for page in pages(self.docs, ["metadatas"])
            for i, m in zip(page["ids"], page["metadatas"], strict=True)
        }

    # Chunks ------------------------------------------------------------------------------------

    def committed_chunks(self, chunk_pages: Iterable[dict[str, Any]]) -> list[Chunk]:
        """The chunks of ``chunk_pages`` that belong to their document's committed version."""
        chunks: list[Chunk] = []
        for page in chunk_pages:
            committed = self.hashes(m["doc_id"] for m in page["metadatas"])
            chunks += [
                chunk_from(t, m)
                for t, m in zip(page["documents"], page["metadatas"], strict=True)
                if committed.get(m["doc_id"]) == m["doc_hash"]
            ]
        return sorted(chunks, key=lambda c: (c.doc_id, c.index))

    def committed_chunks_of(self, doc_ids: Sequence[str]) -> dict[str, list[Chunk]]:
        """doc_id -> the chunks of its committed version, for those of ``doc_ids`` that have
        one, read from Chroma DOCUMENTS_PER_FETCH documents at a time."""
        found: dict[str, list[Chunk]] = {}
        for begin in range(0, len(doc_ids), DOCUMENTS_PER_FETCH):
            where = where_in("doc_id", doc_ids[begin : begin + DOCUMENTS_PER_FETCH])
            for chunk in self.committed_chunks(
                pages(self.chunks, ["metadatas", "documents"], where)
            ):
                found.setdefault(chunk.doc_id, []).append(chunk)
        return found

    def stored_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        """Id and version of every stored chunk of these documents."""
        found: list[StoredChunk] = []
        for begin in range(0, len(doc_ids), DOCUMENTS_PER_FETCH):
            where = where_in("doc_id", doc_ids[begin : begin + DOCUMENTS_PER_FETCH])
            found += [
                StoredChunk(i, m["doc_id"], m["doc_hash"])
                for page in pages(self.chunks, ["metadatas"], where)
                for i, m in zip(page["ids"], page["metadatas"], strict=True)
            ]
        return found

    # Writing: the order in which ChunkStore calls these is what makes writes crash-safe ------

    def add_chunks(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        step = min(self._batch, CHUNKS_PER_WRITE)
        for begin in range(0, len(chunks), step):
            part = chunks[begin : begin + step]
            self.chunks.upsert(
                ids=[c.id for c in part],
                embeddings=[list(e) for e in embeddings[begin : begin + step]],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def commit(self, records: Sequence[DocumentRecord]) -> None:
        """Makes each record (and so the chunks carrying its hash) its document's live version."""
        for begin in range(0, len(records), self._batch):
            part = records[begin : begin + self._batch]
            self.docs.upsert(
                ids=[r.doc_id for r in part],
                embeddings=[[1.0]] * len(part),
                documents=[r.text for r in part],
                metadatas=[_record_metadata(r) for r in part],
            )

    def delete_ids(self, ids: Sequence[str]) -> None:
        for begin in range(0, len(ids), self._batch):
            self.chunks.delete(ids=list(ids[begin : begin + self._batch]))

    # The lexical index -------------------------------------------------------------------------

    def index_lexically(
        self,
        doc_ids: Sequence[str],
        advance: tuple[str, str] | None = None,
        versions: Sequence[NewVersion] = (),
    ) -> None:
        """Brings the lexical index in line with the committed state of ``doc_ids``, whose new
        chunks are given in ``versions`` or else read back; ``advance=(before, after)``: marks
        it in step with revision ``after`` if it was in step with ``before``."""
        given = {v.record.doc_id: v for v in versions}
        live = self.hashes(doc_ids)
        fetch = [d for d in live if d not in given or given[d].record.content_hash != live[d]]
        fetched = self.committed_chunks_of(fetch)
        replaced = [
            (d, h, fetched.get(d, []) if d in fetch else given[d].chunks) for d, h in live.items()
        ]
        removed = [d for d in doc_ids if d not in live]
        self.lexical.apply(replaced, removed, advance)

    def catch_up(self, revision: str) -> None:
        """Brings the lexical index in step with store ``revision``, re-indexing only the
        documents whose content hash differs, and its postings in step with it. The caller
        holds the write lock."""
        synced = self.lexical.synced()
        if synced != revision:
            if synced is None or not _same_collection(synced, revision):
                self.lexical.clear(synced or "")
            live = self.all_hashes()
            indexed = self.lexical.documents()
            changed = [d for d, h in live.items() if indexed.get(d) != h]
            gone = [d for d in indexed if d not in live]
            self.lexical.apply(removed=gone)
            for begin in range(0, len(changed), DOCUMENTS_PER_FETCH):
                self.index_lexically(changed[begin : begin + DOCUMENTS_PER_FETCH])
            self.lexical.mark_synced(revision)
        self.lexical.update_postings()

    def backlog(self, revision: str, previous: Backlog) -> Backlog:
        """What the lexical index shows wrongly of store ``revision``, read without writing:
        documents changed in its record since its postings' last commit (read from the
        record), and if the record is behind the revision, documents whose committed version
        it lacks (read from Chroma). ``previous`` is returned if it was read for the same
        state. Three small reads when the index is in step."""
        synced = self.lexical.synced()
        behind = self.lexical.behind_postings()
        state = (revision, synced, None if behind is None else tuple(behind))
        if synced == revision and behind == []:
            return previous if not previous.chunks else Backlog.empty()
        if state == previous.state:
            return previous
        indexed = self.lexical.documents()
        shown_wrongly = list(indexed) if behind is None else behind
        chunks: dict[str, list[Chunk]] = {d: [] for d in shown_wrongly}
        chunks.update(self.lexical.chunks_of(shown_wrongly))
        if synced != revision:
            live = self.all_hashes()
            known = indexed if synced is not None and _same_collection(synced, revision) else {}
            changed = [d for d, h in live.items() if known.get(d) != h]
            chunks.update({d: [] for d in [*changed, *(d for d in indexed if d not in live)]})
            chunks.update(self.committed_chunks_of(changed))
        terms = [(c.id, c.doc_id, chunk_terms(c)) for held in chunks.values() for c in held]
        postings = None
        if terms:
            postings = Postings(None)
            postings.rebuild(terms, generation="", applied=0)
        return Backlog(state, chunks, postings)
