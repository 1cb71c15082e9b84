"""Corpus commands: ``ingest`` (sync files into the index), ``docs`` and ``remove``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.commands.options import quiet_option, store_option
from app.composition import Components
from ingest.errors import CitewiseError
from ingest.records import DocumentRecord
from ingest.settings import load_settings

MAX_COLUMN = 48
"""Widest an id or title column grows in ``docs``."""


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option(
    "--rebuild",
    is_flag=True,
    help="Rebuild the whole index from PATHS (needed after changing the embedding model or "
    "chunking settings). The new index replaces the old one only once it is complete.",
)
@click.option(
    "--follow-links",
    is_flag=True,
    default=None,
    help="Follow symbolic links that lead out of an ingested folder (setting "
    "follow_external_links); by default they are reported and skipped.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object (every file's status, reason and chunks, and the totals).",
)
@quiet_option
def ingest(
    paths: tuple[Path, ...],
    store_dir: Path | None,
    rebuild: bool,
    follow_links: bool | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Index files and folders so questions can be asked about them.

    Re-running syncs: unchanged files are skipped (no model is even loaded), changed files
    are re-indexed, and files gone from an ingested folder are removed from the index.
    Formats: .txt .md .html .htm .pdf .docx .csv .tsv .xlsx .pptx .epub .eml, and pictures of
    text (.png .jpg .jpeg .tif .tiff, read by OCR, as are scanned PDF pages); other files are
    skipped. A file that cannot be read is reported and the others are still ingested; the
    exit code is then 1.

    \b
    Examples:
      citewise ingest corpus/
      citewise ingest notes/ report.pdf --store /data/index
      citewise ingest corpus/ --rebuild      # after changing the model, runtime or chunk size
      citewise ingest inbox/ --json          # one JSON object, for scripts

    \b
    Settings (env CITEWISE_<NAME> or citewise.toml): store_dir, chroma_url (use a Chroma
    server instead of the local folder), collection, embedding_model, embedding_runtime,
    embedding_batch_size, embedding_threads, model_cache_dir, chunk_size, chunk_overlap,
    max_file_mb, max_unzipped_mb, max_parse_seconds, follow_external_links. See 'citewise
    settings'.
    """
    from ingest.display import counted, shown
    from ingest.progress import TerminalProgress
    from ingest.sync import FileStatus, sync_paths

    settings = load_settings(store_dir=store_dir, follow_external_links=follow_links or None)
    parts = Components(settings)
    bars = TerminalProgress(enabled=False if quiet else None)
    try:
        report = sync_paths(
            list(paths),
            settings,
            # a rebuild opens the index it builds itself, and makes the embedder for it
            store=None if rebuild else parts.store,
            embedder=None if rebuild else parts.embedder,
            parser=parts.parser,
            rebuild=rebuild,
            progress=bars,
            waiting=lambda message: click.echo(message, err=True),
        )
    finally:
        bars.close()
        parts.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        if report.failed:
            raise SystemExit(1)
        return
    for result in report.files:
        path, doc_id = shown(result.path), shown(result.doc_id or "")
        if result.status == FileStatus.FAILED:
            click.echo(f"{path}: {result.message}", err=True)
        elif result.status == FileStatus.SKIPPED:
            click.echo(f"{path}: skipped ({result.message})")
        elif result.status in (FileStatus.ADDED, FileStatus.UPDATED):
            click.echo(f"{result.status} {doc_id} ({counted(result.chunks, 'chunk')})")
        elif result.status == FileStatus.REMOVED:
            click.echo(f"removed {doc_id}")
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)


@click.command()
@store_option
def docs(store_dir: Path | None) -> None:
    """List the indexed documents: id, title, chunks and when each was ingested.

    \b
    Example:
      citewise docs --store /data/index
    """
    records = Components.existing(load_settings(store_dir=store_dir)).store.documents()
    if not records:
        click.echo("The index is empty. Add documents with: citewise ingest PATH...")
        return
    for line in document_table(records):
        click.echo(line)


def document_table(records: list[DocumentRecord]) -> list[str]:
    """One line per document under a header. Ids and titles that would not print on one line
    are shown quoted with escapes; a column is at most ``MAX_COLUMN`` wide, so one long name
    does not push every row aside: a longer id overflows its own row only (it is shown whole,
    as ``remove`` needs it), a longer title is cut with an ellipsis."""
    from ingest.display import shown

    rows = [("ID", "TITLE", "CHUNKS", "INGESTED")] + [
        (shown(r.doc_id), _cut(shown(r.title), MAX_COLUMN), str(r.chunks), r.ingested_at)
        for r in records
    ]
    widths = [min(MAX_COLUMN, max(len(row[i]) for row in rows)) for i in range(3)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]))
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@click.argument("doc_id")
@store_option
def remove(doc_id: str, store_dir: Path | None) -> None:
    """Remove the document DOC_ID (as listed by 'citewise docs') from the index, with the
    documents attached to it (a mail's attachments).

    \b
    Example:
      citewise remove reports/2023.pdf
    """
    store = Components.existing(load_settings(store_dir=store_dir)).store
    attached = store.attachments(doc_id)
    if not store.remove(doc_id):
        raise CitewiseError(
            f"No document with id {doc_id!r} in the index",
            "run 'citewise docs' to see the ids",
        )
    click.echo(f"removed {doc_id}")
    for attachment in attached:
        if store.remove(attachment):
            click.echo(f"removed {attachment}")
