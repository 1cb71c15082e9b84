"""Fuzzing ``citewise ingest`` with hostile folders (hypothesis, seeded, a few dozen runs).

Each example fills one folder with valid files of every format (text, Markdown, HTML, PDF,
a PDF of ruled tables, Word, OpenDocument, CSV, TSV, Excel, PowerPoint, EPUB, e-mail, PNG),
random mutations of them,
random bytes, names made of random bytes, newlines, unicode or 200 characters, symlink loops,
dangling links, links leaving the folder and FIFOs, then ingests it into one shared index
(so runs are incremental syncs of the folder's new content). The invariant: no traceback;
every entry is either indexed or named by exactly one line; every valid file with a
storable name is indexed; the index holds exactly the indexed documents, whole.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from formats import (
    csv_table,
    eml_message,
    epub_book,
    odt_document,
    png_text,
    pptx_deck,
    ruled_pdf,
    tsv_table,
    xlsx_workbook,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import cli
from docs import HTML_TEXT, MARKDOWN_TEXT, PLAIN_TEXT, docx_bytes, pdf_bytes
from ingest.display import shown
from ingest.errors import DocumentError
from ingest.parse_worker import ParseJob, parse_and_chunk
from ingest.settings import load_settings
from ingest.store import ChunkStore


class Kind(StrEnum):
    VALID = "valid"
    MUTATED = "mutated"
    RANDOM = "random"
    LOOP = "loop"
    DANGLING = "dangling"
    OUTSIDE = "outside"
    FIFO = "fifo"


@dataclass(frozen=True)
class Entry:
    name: str
    kind: Kind
    data: bytes = b""


@cache
def valid_samples() -> dict[str, bytes]:
    """End of a file name (its extension, after a word for a second sample of the same
    format) -> a valid file of that format."""
    return {
        ".txt": PLAIN_TEXT.encode(),
        ".md": MARKDOWN_TEXT.encode(),
        ".html": HTML_TEXT.encode(),
        ".pdf": pdf_bytes(pages=1),
        "-table.pdf": ruled_pdf(),
        ".docx": docx_bytes(),
        ".odt": odt_document(),
        ".csv": csv_table(),
        ".tsv": tsv_table(),
        ".xlsx": xlsx_workbook(),
        ".pptx": pptx_deck(),
        ".epub": epub_book(),
        ".eml": eml_message(),
        ".png": png_text(),
    }


EXTENSIONS = list(valid_samples())
NAME_CHARS = st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"])
NAME_BYTES = st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b)


@st.composite
def stems(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["text", "bytes", "newline", "long"]))
    if shape == "bytes":
        stem = os.fsdecode(draw(NAME_BYTES))
    elif shape == "newline":
        stem = draw(st.text(NAME_CHARS, max_size=6)) + "\n" + draw(st.text(NAME_CHARS, max_size=6))
    elif shape == "long":
        stem = "l" * 200
    else:
        stem = draw(st.text(NAME_CHARS, min_size=1, max_size=20))
    return "f" + stem  # never hidden: a leading dot is skipped silently by design


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, max(0, len(out) - 1)))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and out:
            out[position] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del out[position : position + draw(st.integers(1, 4000))]
        else:
            out[position:position] = draw(st.binary(max_size=64))
    return bytes(out)


@st.composite
def entries(draw: st.DrawFn) -> list[Entry]:
    found: dict[bytes, Entry] = {}
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(list(Kind)))
        extension = draw(st.sampled_from(EXTENSIONS))
        name = draw(stems()) + extension
        if len(os.fsencode(name)) > 250:
            continue
        sample = valid_samples()[extension]
        data = {
            Kind.VALID: sample,
            Kind.MUTATED: draw(mutated(sample)),
            Kind.RANDOM: draw(st.binary(min_size=0, max_size=3000)),
        }.get(kind, b"")
        found.setdefault(os.fsencode(name), Entry(name, kind, data))
    return list(found.values())


def _materialise(folder: Path, outside: Path, items: list[Entry]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for item in items:
        path = folder / item.name
        if item.kind == Kind.LOOP:
            path.symlink_to(item.name)
        elif item.kind == Kind.DANGLING:
            path.symlink_to("no-such-target.txt")
        elif item.kind == Kind.OUTSIDE:
            path.symlink_to(outside)
        elif item.kind == Kind.FIFO:
            os.mkfifo(path)
        else:
            path.write_bytes(item.data)


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder and one index for all examples: each run is a sync of new content."""
    return tmp_path_factory.mktemp("fuzz")


def _storable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(
    max_examples=24,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(items=entries())
def test_any_folder_is_ingested_with_one_line_per_bad_entry_and_an_exact_index(
    items: list[Entry], fuzz_root: Path
) -> None:
    root = fuzz_root
    folder, store = root / "docs", root / "store"
    outside = root / "outside.txt"
    outside.write_text("Private notes that must not be indexed.\n")
    _materialise(folder, outside, items)
    before = (
        {r.doc_id for r in ChunkStore.open_existing(load_settings(store_dir=store)).documents()}
        if store.exists()
        else set()
    )

    result = CliRunner().invoke(
        cli, ["ingest", str(folder), "--store", str(store), "--quiet"], catch_exceptions=False
    )

    assert result.exit_code in (0, 1), result.output
    lines = result.stderr.splitlines() + [
        line for line in result.stdout.splitlines() if line.endswith(")") and ": skipped (" in line
    ]
    named = Counter(line.split(": ", 1)[0] for line in lines)
    assert sum(named.values()) == len(lines)
    index = ChunkStore.open_existing(load_settings(store_dir=store))
    indexed = {r.doc_id for r in index.documents()}
    for item in items:
        mentions = named[shown(str(folder / item.name))]
        # A file that fails now keeps the version an earlier example indexed: nothing is lost.
        kept = mentions == 1 and item.name in before
        assert (item.name in indexed) + mentions == 1 or kept, (item, result.output)
        if item.kind == Kind.VALID and _storable(item.name):
            assert item.name in indexed, (item, result.output)
        if item.kind in (Kind.OUTSIDE, Kind.LOOP, Kind.DANGLING, Kind.FIFO):
            assert item.name not in indexed
    attached = {d for d in indexed if any(d.startswith(f"{i.name}/") for i in items)}
    assert indexed - attached == {i.name for i in items} & indexed
    assert all(d.split("/")[0].endswith(".eml") for d in attached)
    assert {c.id for c in index.stored_chunks()} == {c.id for c in index.all_chunks()}
    for record in index.documents():
        assert len(index.chunks_of(record.doc_id)) == record.chunks


@pytest.mark.parametrize("extension", EXTENSIONS)
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_format_reads_mutated_and_random_bytes_or_says_what_is_wrong(
    extension: str, data: st.DataObject
) -> None:
    """Each format on its own, so every one is covered whatever the folder test draws: a file
    is parsed into chunks that are exact spans of its text, or refused with a DocumentError."""
    sample = valid_samples()[extension]
    content = data.draw(st.one_of(mutated(sample), st.binary(max_size=3000)))
    job = ParseJob(Path("f" + extension), content, "f", "/f", 400, 80, 5.0)
    try:
        parsed = parse_and_chunk(job)
    except DocumentError as exc:
        assert exc.message and "\n" not in exc.message
        return
    for chunk in [*parsed.chunks, *(c for a in parsed.attached for c in a.chunks)]:
        assert chunk.text.strip()
    for chunk in parsed.chunks:
        assert parsed.document.text[chunk.start : chunk.end] == chunk.text
