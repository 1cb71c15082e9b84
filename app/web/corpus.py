"""The corpus tab's work: list documents, take uploads into the index, remove documents.

Uploads follow the same rules as ``citewise ingest`` (the loaders decide what is readable) plus
the web's own: a known extension, at most ``max_file_mb``, and a file name reduced to safe
characters so it can only ever land directly inside ``settings.uploads``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import DocumentError, UnsupportedFile
from ingest.settings import Settings

if TYPE_CHECKING:
    from ingest.parse_worker import ParseWorker
    from ingest.protocols import DocumentEmbedder
    from ingest.store import ChunkStore

Progress = Callable[[str, int, int], None]
UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ]+")
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class UploadResult:
    """What happened to one uploaded file, as shown on its result line."""

    name: str
    status: str
    message: str = ""
    doc_id: str | None = None
    chunks: int = 0


def safe_name(original: str) -> str:
    """A file name with no directory part, no hidden prefix and only plain characters."""
    name = Path(original.replace("\\", "/")).name
    name = UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[: MAX_NAME_CHARS - len(ext) - 1].strip(" .") or "upload"
    return f"{stem}.{ext}" if ext else stem


def supported_extensions() -> tuple[str, ...]:
    from ingest.loaders import SUPPORTED_EXTENSIONS

    return tuple(sorted(e.lower() for e in SUPPORTED_EXTENSIONS))


def check_upload(path: Path, name: str, settings: Settings) -> None:
    """Raise DocumentError when the file may not be stored at all: UnsupportedFile (a
    skip, worded as ``citewise ingest`` words it) for a kind of file citewise does not read."""
    from ingest.loaders import unsupported_reason

    reason = unsupported_reason(Path(name))
    if reason is not None:
        raise UnsupportedFile(reason)
    size_mb = path.stat().st_size / 1_000_000
    if size_mb > settings.max_file_mb:
        raise DocumentError(
            f"{size_mb:.1f} MB is over the {settings.max_file_mb:g} MB limit",
            "raise max_file_mb to accept it",
        )


def store_upload(path: Path, original: str, settings: Settings) -> Path:
    """Copy an upload into the uploads folder under its safe name; returns where it went."""
    name = safe_name(original)
    check_upload(path, name, settings)
    folder = settings.uploads.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.parent != folder:
        raise DocumentError(f"{original}: not a usable file name")
    shutil.copyfile(path, target)
    return target


class Corpus:
    """The index as the web UI manages it, sharing one store, embedder and parse worker with
    the chat (``app.composition.Components``)."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embedder: DocumentEmbedder,
        parser: ParseWorker,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.parser = parser

    def rows(self) -> list[list[str | int]]:
        """Title, id, chunks and ingestion time of every document, by title."""
        docs = sorted(self.store.documents(), key=lambda d: (d.title.lower(), d.doc_id))
        return [[d.title, d.doc_id, d.chunks, d.ingested_at] for d in docs]

    def choices(self) -> list[tuple[str, str]]:
        return [(f"{title} ({doc_id})", str(doc_id)) for title, doc_id, _, _ in self.rows()]

    def add(
        self, uploads: Sequence[tuple[Path, str]], progress: Progress | None = None
    ) -> list[UploadResult]:
        """Store then index ``(temporary path, original name)`` uploads; one result per file."""
        from ingest.sync import sync_paths

        results: list[UploadResult] = []
        stored: dict[Path, str] = {}
        for path, original in uploads:
            try:
                stored[store_upload(path, original, self.settings)] = original
            except UnsupportedFile as exc:
                results.append(UploadResult(original, "skipped", str(exc)))
            except DocumentError as exc:
                results.append(UploadResult(original, "failed", str(exc)))
        if stored:
            report = sync_paths(
                list(stored),
                self.settings,
                store=self.store,
                embedder=self.embedder,
                parser=self.parser,
                prune=False,
                progress=progress,
            )
            for f in report.files:
                original = stored.get(Path(f.path).resolve(), Path(f.path).name)
                results.append(
                    UploadResult(original, f.status, f.message or "", f.doc_id, f.chunks)
                )
        return results

    def remove(self, doc_id: str) -> bool:
        """Remove a document (and the documents attached to it) from the index, and its
        uploaded file if the web stored it."""
        record = self.store.document(doc_id)
        attached = self.store.attachments(doc_id)
        removed = bool(self.store.remove(doc_id))
        for attachment in attached:
            self.store.remove(attachment)
        if record is not None and record.source:
            source = Path(record.source).resolve()
            if source.parent == self.settings.uploads.resolve() and source.is_file():
                source.unlink()
        return removed
