"""Parsing and chunking one file in a child process that is killed if it takes too long.

A small file can cost minutes of CPU in a parsing library (a .docx of 100,000 empty
paragraphs, a PDF page of a million drawing operators). A thread cannot be stopped, so the
work runs in one long-lived child process: each file is sent to it, and if no answer comes
within ``max_parse_seconds`` the child is killed, the file reported, and a fresh child
started for the next file. The child starts on first use (about a quarter of a second) and is
reused by its ``ParseWorker``, so a run of many small files pays for it once, and a re-run
where nothing changed never starts it. The composition root (``app.composition``) keeps the
worker a process shares.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from ingest.errors import DocumentError
from ingest.loaders import ParsedDocument
from ingest.records import Chunk

_CONTEXT = multiprocessing.get_context("spawn")
"""A fresh interpreter: forking a process that holds torch's threads is not safe."""


@dataclass(frozen=True)
class ParseJob:
    """Everything the child needs to parse and chunk one file."""

    path: Path
    data: bytes
    doc_id: str
    source: str
    chunk_size: int
    chunk_overlap: int
    max_unzipped_mb: float
    max_parse_seconds: float = 180.0
    """The per-file time limit the worker is held to; a third of it may go to finding a
    PDF's ruled tables, so a long ruled report keeps its text rather than being killed."""


@dataclass(frozen=True)
class Attached:
    """A file inside the one parsed (an e-mail's attachment), parsed as a document of its
    own under the id ``<file's id>/<name>``; ``error`` says why not when ``document`` is None."""

    name: str
    doc_id: str
    document: ParsedDocument | None
    chunks: list[Chunk] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class Parsed:
    """A parsed file as the ingest needs it: the document's title and text (its blocks,
    the chunker's input, are left out: a 100,000-row sheet has as many), and its chunks."""

    document: ParsedDocument
    chunks: list[Chunk]
    attached: list[Attached] = field(default_factory=list)


TABLE_SHARE = 1 / 3
"""Share of the per-file time limit that finding a PDF's ruled tables may take."""


def _load(job: ParseJob, path: Path, data: bytes) -> ParsedDocument:
    from ingest.loaders import load_document

    return load_document(
        path,
        data,
        max_unzipped_mb=job.max_unzipped_mb,
        table_seconds=job.max_parse_seconds * TABLE_SHARE,
    )


def _sent(document: ParsedDocument) -> ParsedDocument:
    """The document without what the ingest does not use once it is chunked."""
    return replace(document, blocks=[], attachments=())


def _attached(job: ParseJob, name: str, data: bytes) -> Attached:
    from ingest.chunker import chunk_document

    doc_id = f"{job.doc_id}/{name}"
    try:
        document = _load(job, Path(name), data)
    except DocumentError as exc:
        return Attached(name, doc_id, None, error=str(exc))
    chunks = chunk_document(document, doc_id, job.source, job.chunk_size, job.chunk_overlap)
    return Attached(name, doc_id, _sent(document), chunks)


def parse_and_chunk(job: ParseJob) -> Parsed:
    """The work itself, as the child runs it (callable directly too). A file's attachments
    are parsed as documents of their own; their bytes and the blocks are not sent back."""
    from ingest.chunker import chunk_document
    from ingest.limits import check_runs

    document = _load(job, job.path, job.data)
    check_runs(document.text, job.chunk_size)
    chunks = chunk_document(document, job.doc_id, job.source, job.chunk_size, job.chunk_overlap)
    attached = [_attached(job, name, data) for name, data in document.attachments]
    return Parsed(_sent(document), chunks, attached)


def _serve(conn: Connection) -> None:
    """The child's loop: one job in, one ``(ok, Parsed | (message, hint))`` out, until EOF."""
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the parent is gone
            return
        try:
            conn.send((True, parse_and_chunk(job)))
        except DocumentError as exc:
            conn.send((False, (exc.message, exc.hint)))
        except Exception as exc:
            conn.send((False, (f"file could not be read: {type(exc).__name__}: {exc}", None)))


class ParseWorker:
    """One child process that parses files in turn, replaced whenever it is killed."""

    def __init__(self) -> None:
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def _start(self) -> Connection:
        ours, theirs = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve, args=(theirs,), daemon=True, name="citewise-parse"
        )
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        return ours

    def close(self) -> None:
        """Stops the child, if any (for ``contextlib.closing``)."""
        self.stop()

    def stop(self) -> int | None:
        """Kills the child (if any) and returns its exit code."""
        code = None
        if self._process is not None:
            self._process.kill()
            self._process.join()
            code = self._process.exitcode
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None
        return code

    def run(self, job: ParseJob, timeout_s: float) -> Parsed:
        """Parse and chunk ``job`` in the child; DocumentError if the file is bad, takes
        longer than ``timeout_s`` or brings the child down."""
        with self._lock:
            alive = (
                self._conn is not None and self._process is not None and self._process.is_alive()
            )
            conn = self._conn if alive and self._conn is not None else self._start()
            try:
                conn.send(job)
                answered = conn.poll(timeout_s)
                outcome = conn.recv() if answered else None
            except (EOFError, OSError):
                code = self.stop()
                raise DocumentError(
                    f"the parser stopped while reading this file (exit code {code})",
                    "the file may need more memory than is available",
                ) from None
            if outcome is None:
                self.stop()
                raise DocumentError(
                    f"reading the file took longer than {timeout_s:g} s",
                    "setting max_parse_seconds, env CITEWISE_MAX_PARSE_SECONDS",
                )
        ok, value = outcome
        if not ok:
            message, hint = value
            raise DocumentError(message, hint)
        parsed: Parsed = value
        return parsed
