"""Incremental, crash-safe ingestion: make the index match the given files exactly.

Each document is written in an order that survives a kill at any instant:

1. add the new version's chunks (their ids carry the new content hash, so nothing is overwritten);
2. upsert the document record with the new hash: the commit point;
3. delete the document's chunks that are not part of the committed version.

Removal deletes the record first, then the chunks (see :meth:`ChunkStore.put` and
:meth:`ChunkStore.remove`, which also journal the documents and keep the lexical index in
step). A run holds the index's write lock throughout and starts with
:meth:`ChunkStore.repair`, which puts right whatever a crashed run left behind.
Only the records of the files given are read, so adding one file to a large library costs
the same as adding it to a small one; pruning a folder reads every record.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, overload

from ingest.crash import crash_point
from ingest.display import counted, quoted, shown
from ingest.errors import DocumentError
from ingest.lock import Waiting
from ingest.rebuild import rebuild_index, rebuilt_settings
from ingest.records import Chunk, DocumentRecord
from ingest.store import ChunkStore, NewVersion
from ingest.store.index_settings import embedder_mismatch
from ingest.walk import Finding, FoundFile, Verdict, inspect_named, is_utf8, walk

if TYPE_CHECKING:
    from ingest.loaders import ParsedDocument
    from ingest.parse_worker import Attached, ParseWorker
    from ingest.protocols import DocumentEmbedder
    from ingest.settings import Settings

Progress = Callable[[str, int, int], None]
EMBED_GROUP_CHUNKS = 512
"""Chunks of several documents are embedded together: bigger length-sorted batches. A
document with more chunks than this is embedded a slice at a time as the store writes it
(see ``_EmbeddedOnRead``)."""


class FileStatus(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class FileResult:
    path: str
    doc_id: str | None
    status: FileStatus
    message: str = ""
    chunks: int = 0


@dataclass
class SyncReport:
    files: list[FileResult] = field(default_factory=list)

    def _count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def added(self) -> int:
        return self._count(FileStatus.ADDED)

    @property
    def updated(self) -> int:
        return self._count(FileStatus.UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(FileStatus.UNCHANGED)

    @property
    def removed(self) -> int:
        return self._count(FileStatus.REMOVED)

    @property
    def skipped(self) -> int:
        return self._count(FileStatus.SKIPPED)

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(f.path, f.message) for f in self.files if f.status == FileStatus.FAILED]

    @property
    def chunks(self) -> int:
        """Chunks written by this run (added or updated documents)."""
        return sum(
            f.chunks for f in self.files if f.status in (FileStatus.ADDED, FileStatus.UPDATED)
        )

    def to_json(self) -> dict[str, object]:
        """Every file's result and the totals, as ``citewise ingest --json`` prints them."""
        return {
            "files": [
                {
                    "path": f.path,
                    "doc_id": f.doc_id,
                    "status": str(f.status),
                    "message": f.message,
                    "chunks": f.chunks,
                }
                for f in self.files
            ],
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": len(self.failed),
            "skipped": self.skipped,
            "chunks_written": self.chunks,
        }

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, failed {len(self.failed)}, skipped {self.skipped}; "
            f"{counted(self.chunks, 'chunk')} written"
        )


@dataclass(frozen=True)
class _Candidate:
    path: Path
    doc_id: str


@dataclass
class _Pending:
    candidate: _Candidate
    record: DocumentRecord
    chunks: list[Chunk]
    status: FileStatus


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def embedding_text(chunk: Chunk) -> str:
    """What is embedded: the chunk with its title and heading path as context."""
    headings = [h for h in chunk.heading_path if h and h != chunk.title]
    parts = [chunk.title, " > ".join(headings), chunk.text]
    return "\n".join(p for p in parts if p)


class _EmbeddedOnRead(Sequence[Sequence[float]]):
    """The vectors of a document's chunks, embedded a slice at a time when the store reads
    that slice (it writes chunks in batches): memory for one batch of vectors rather than
    the whole document's. A slice read twice is embedded twice."""

    def __init__(
        self, chunks: Sequence[Chunk], embed: Callable[[list[str]], list[list[float]]]
    ) -> None:
        self._chunks = chunks
        self._embed = embed

    def __len__(self) -> int:
        return len(self._chunks)

    @overload
    def __getitem__(self, index: int) -> Sequence[float]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Sequence[float]]: ...
    def __getitem__(self, index: int | slice) -> Sequence[float] | Sequence[Sequence[float]]:
        if isinstance(index, slice):
            return self._embed([embedding_text(c) for c in self._chunks[index]])
        return self._embed([embedding_text(self._chunks[index])])[0]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class _Sync:
    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embedder: DocumentEmbedder,
        parser: ParseWorker,
        progress: Progress | None,
        exclude: Sequence[Path] = (),
    ) -> None:
        self.settings = settings
        self.exclude = [Path(p) for p in exclude]
        self.store = store
        self.embedder = embedder
        self.parser = parser
        self.progress = progress
        self.report = SyncReport()
        self.records: dict[str, DocumentRecord] = {}
        self.damaged: set[str] = set()
        self.claimed: dict[str, Path] = {}
        self.pending: list[_Pending] = []

    def _tell(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _fail(self, path: Path | str, doc_id: str | None, message: str) -> None:
        self.report.files.append(FileResult(str(path), doc_id, FileStatus.FAILED, message))

    def _found(self, finding: Finding) -> None:
        status = FileStatus.FAILED if finding.verdict == Verdict.FAILED else FileStatus.SKIPPED
        self.report.files.append(FileResult(str(finding.path), None, status, finding.message))

    def _excluded(self, root: Path) -> list[Path]:
        """The index folders not to walk into, unless ``root`` lies inside one of them."""
        index = [] if self.settings.chroma_url else [self.settings.store_dir]
        folders = [p.resolve() for p in [*index, *self.exclude]]
        return [p for p in folders if not root.is_relative_to(p)]

    def _files(self, given: Path, folders: list[Path]) -> list[FoundFile]:
        """The files named by ``given`` (a file or a folder); findings go to the report."""
        follow = self.settings.follow_external_links
        what = inspect_named(given, follow)
        if isinstance(what, Finding):
            self._found(what)
            return []
        if not given.is_dir():
            return [FoundFile(given, given.name)]
        root = given.resolve()
        folders.append(root)
        files = []
        for entry in walk(given, self._excluded(root), follow):
            if isinstance(entry, Finding):
                self._found(entry)
            else:
                files.append(entry)
        return files

    def candidates(self, paths: list[Path]) -> tuple[list[_Candidate], list[Path]]:
        """The files to sync and the folders whose vanished files are to be pruned."""
        from ingest.loaders import unsupported_reason

        found: list[_Candidate] = []
        folders: list[Path] = []
        for given in paths:
            for file in self._files(given, folders):
                path, doc_id = file.path, file.relative
                reason = unsupported_reason(path)
                if reason is not None:
                    skipped = FileResult(str(path), doc_id, FileStatus.SKIPPED, reason)
                    self.report.files.append(skipped)
                    continue
                first = self.claimed.setdefault(doc_id, path)
                if first != path:
                    self._fail(
                        path,
                        doc_id,
                        f"document id {quoted(doc_id)} is already used by {shown(str(first))}",
                    )
                    continue
                found.append(_Candidate(path, doc_id))
        return found, folders

    def visit(self, candidate: _Candidate) -> None:
        """Skips an unchanged file, or parses and chunks it for the next embedding group."""
        from ingest.loaders import carries_attachments
        from ingest.parse_worker import ParseJob

        path, doc_id = candidate.path, candidate.doc_id
        try:
            size = path.stat().st_size
            limit = self.settings.max_file_mb * 1_000_000
            if size > limit:
                raise DocumentError(
                    f"file is {_megabytes(size)}, over the {self.settings.max_file_mb:g} MB limit "
                    "(setting max_file_mb, env CITEWISE_MAX_FILE_MB)"
                )
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise DocumentError(f"cannot read file: {exc.strerror or exc}") from None
            digest = content_hash(data)
            source = str(path.resolve())
            if not is_utf8(source):
                raise DocumentError(
                    f"the file's full path {quoted(source)} is not valid UTF-8",
                    "rename the folders on it to ingest it",
                )
            old = self.records.get(doc_id)
            if (
                old is not None
                and old.content_hash == digest
                and old.source == source
                and doc_id not in self.damaged
            ):
                self.report.files.append(
                    FileResult(str(path), doc_id, FileStatus.UNCHANGED, chunks=old.chunks)
                )
                return
            job = ParseJob(
                path=path,
                data=data,
                doc_id=doc_id,
                source=source,
                chunk_size=self.settings.chunk_size,
                chunk_overlap=self.settings.chunk_overlap,
                max_unzipped_mb=self.settings.max_unzipped_mb,
                max_parse_seconds=self.settings.max_parse_seconds,
            )
            result = self.parser.run(job, self.settings.max_parse_seconds)
            parsed, chunks = result.document, result.chunks
            if not chunks:
                raise DocumentError("no text to index")
        except DocumentError as exc:
            self._fail(path, doc_id, str(exc))
            return
        self._queue(candidate, doc_id, parsed, chunks, source, digest, old)
        if result.attached or (old is not None and carries_attachments(path)):
            self._attachments(candidate, result.attached, source, digest, old is not None)
        if sum(len(p.chunks) for p in self.pending) >= EMBED_GROUP_CHUNKS:
            self.flush()

    def _queue(
        self,
        candidate: _Candidate,
        doc_id: str,
        parsed: ParsedDocument,
        chunks: list[Chunk],
        source: str,
        digest: str,
        old: DocumentRecord | None,
    ) -> None:
        """Adds a parsed document to the next embedding group."""
        record = DocumentRecord(
            doc_id=doc_id,
            title=parsed.title,
            source=source,
            content_hash=digest,
            chunks=len(chunks),
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            text=parsed.text,
        )
        chunks = [replace(c, doc_hash=digest) for c in chunks]
        status = FileStatus.ADDED if old is None else FileStatus.UPDATED
        self.pending.append(_Pending(candidate, record, chunks, status))

    def _attachments(
        self,
        candidate: _Candidate,
        attached: list[Attached],
        source: str,
        digest: str,
        replacing: bool,
    ) -> None:
        """Indexes a file's attachments as documents ``<id>/<name>`` (same source and hash as
        the file, so they are unchanged, updated and pruned with it), and removes those of
        an earlier version that the new one no longer carries."""
        prefix = f"{candidate.doc_id}/"
        ids = {a.doc_id for a in attached}
        olds = self.store.records(ids) if ids else {}
        stale = [
            r
            for r in (self.store.documents() if replacing else [])
            if r.doc_id.startswith(prefix) and r.source == source and r.doc_id not in ids
        ]
        for record in stale:
            if self.store.remove(record.doc_id):
                removed = FileResult(
                    record.source, record.doc_id, FileStatus.REMOVED, chunks=record.chunks
                )
                self.report.files.append(removed)
        for item in attached:
            shown_path = f"{candidate.path}/{item.name}"
            if item.document is None:
                self._fail(shown_path, item.doc_id, item.error)
                continue
            if not item.chunks:
                self._fail(shown_path, item.doc_id, "no text to index")
                continue
            part = _Candidate(Path(shown_path), item.doc_id)
            old = olds.get(item.doc_id)
            self._queue(part, item.doc_id, item.document, item.chunks, source, digest, old)

    def flush(self) -> None:
        """Embeds the pending documents together, then writes each in crash-safe order. A
        big document's vectors are made as the store reads them, so they are never all held
        at once (a 100,000-row sheet has thousands of chunks)."""
        if not self.pending:
            return
        chunks = [c for p in self.pending for c in p.chunks]
        self.store.check_room(chunks, [p.record for p in self.pending])
        embedder = self.embedder
        total, done = len(chunks), 0

        def embed(texts: list[str]) -> list[list[float]]:
            nonlocal done
            base = done

            def embedded(finished: int, _: int) -> None:
                self._tell("embed", base + finished, total)
                crash_point("mid_embed")

            vectors = embedder.embed_documents(texts, embedded)
            done += len(texts)
            return vectors

        small = [p for p in self.pending if len(p.chunks) <= EMBED_GROUP_CHUNKS]
        together = iter(embed([embedding_text(c) for p in small for c in p.chunks]))
        versions = []
        for item in self.pending:
            vectors: Sequence[Sequence[float]] = (
                [next(together) for _ in item.chunks]
                if len(item.chunks) <= EMBED_GROUP_CHUNKS
                else _EmbeddedOnRead(item.chunks, embed)
            )
            versions.append(NewVersion(item.record, item.chunks, vectors))
        self.store.put(versions)
        for item in self.pending:
            self.records[item.record.doc_id] = item.record
            self.report.files.append(
                FileResult(
                    str(item.candidate.path),
                    item.record.doc_id,
                    item.status,
                    chunks=len(item.chunks),
                )
            )
        self.pending = []

    def prune(self, folders: list[Path]) -> None:
        """Removes records of files that were under a synced folder and are gone."""
        if not folders:
            return
        for record in self.store.documents():
            source = Path(record.source)
            if record.doc_id in self.claimed or source.exists():
                continue
            if any(source.is_relative_to(folder) for folder in folders):
                self.store.remove(record.doc_id)
                self.report.files.append(
                    FileResult(
                        record.source, record.doc_id, FileStatus.REMOVED, chunks=record.chunks
                    )
                )


def sync_paths(
    paths: list[Path],
    settings: Settings,
    *,
    store: ChunkStore | None = None,
    embedder: DocumentEmbedder | None = None,
    parser: ParseWorker | None = None,
    rebuild: bool = False,
    prune: bool = True,
    progress: Progress | None = None,
    waiting: Waiting | None = None,
    exclude: Sequence[Path] = (),
) -> SyncReport:
    """Brings the index in line with ``paths`` (files and folders) and reports per file.

    Unchanged files (same content hash) are neither parsed nor embedded. Files that cannot
    be ingested are reported and the run carries on. With ``prune``, documents that came from
    a given folder and whose file is gone are removed. Raises IndexSettingsMismatch when the
    index was built with another model or chunking, unless ``rebuild``. Folders in
    ``exclude`` (besides the index itself) are not walked into. Holds the index's write lock
    throughout; if another process holds it, ``waiting`` is told who, and the run waits for it.
    ``embedder`` and ``parser`` default to new ones (the parser's child stops at the end); an
    embedder given must be on the runtime of the index (``ChunkStore.settings``; with
    ``rebuild``, ``rebuilt_settings``), else IndexSettingsMismatch.
    """
    from ingest.parse_worker import ParseWorker

    if parser is None:
        with contextlib.closing(ParseWorker()) as own:
            return sync_paths(
                paths,
                settings,
                store=store,
                embedder=embedder,
                parser=own,
                rebuild=rebuild,
                prune=prune,
                progress=progress,
                waiting=waiting,
                exclude=exclude,
            )
    if rebuild:
        settings = rebuilt_settings(settings)
        embedder = _embedder_for(settings, embedder, settings.chroma_url or str(settings.store_dir))

        def fill(fresh: ChunkStore, staged: Settings, left_out: Sequence[Path]) -> SyncReport:
            return sync_paths(
                paths,
                staged,
                store=fresh,
                embedder=embedder,
                parser=parser,
                progress=progress,
                exclude=left_out,
            )

        return rebuild_index(paths, settings, fill, embedder=embedder, exclude=exclude)
    store = store or ChunkStore.open(settings)
    embedder = _embedder_for(store.settings, embedder, store.location)
    with store.lock.hold(waiting=waiting):
        store.check_settings()
        store.check_vectors()
        run = _Sync(settings, store, embedder, parser, progress, exclude)
        run.damaged = store.repair()
        found, folders = run.candidates([Path(p) for p in paths])
        run.records = store.records(c.doc_id for c in found)
        for done, candidate in enumerate(found, 1):
            run.visit(candidate)
            run._tell("files", done, len(found))
        run.flush()
        if prune:
            run.prune(folders)
    return run.report


def _embedder_for(
    settings: Settings, embedder: DocumentEmbedder | None, location: str
) -> DocumentEmbedder:
    """``embedder``, or a new one, for the index at ``location`` built with ``settings`` (the
    runtime filled in); one on another runtime is refused before it mixes its vectors in."""
    from ingest.embedder import new_embedder

    own = new_embedder(settings)  # nothing loads until it embeds
    if embedder is None:
        return own
    if embedder.runtime != own.runtime:
        raise embedder_mismatch(location, embedder.runtime, own.runtime)
    return embedder
