"""Documents as people have them: tables, spreadsheets, slides, e-books, mail, scans, pictures.

Every file is generated here (``tests/formats.py``) with the libraries people's tools use;
OCR runs the real Tesseract (``make ocr`` installs it, as ``make test`` does).
"""

from __future__ import annotations

import io
import json
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from formats import (
    FACTS,
    HELIOS_TITLE,
    csv_table,
    eml_message,
    epub_book,
    helios_pdf,
    mixed_files,
    odt_document,
    png_text,
    pptx_deck,
    ruled_pdf,
    scanned_pdf,
    text_pdf,
    tsv_table,
    write_mixed,
    xlsx_workbook,
)
from parts import PartsFor

from app.cli import cli
from ingest.chunker import MAX_ROWS_ALONE, chunk_document
from ingest.errors import DocumentError
from ingest.loaders import ParsedDocument, load_document
from ingest.parse_worker import ParseJob, parse_and_chunk
from ingest.records import describe_place
from ingest.settings import Settings
from ingest.store import ChunkStore
from ingest.sync import sync_paths

LIMIT_MB = 200.0


def _load(name: str, data: bytes) -> ParsedDocument:
    return load_document(Path(name), data, max_unzipped_mb=LIMIT_MB)


def _texts(doc: ParsedDocument, kind: str) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == kind]


def _rows(doc: ParsedDocument) -> list[tuple[int | None, str]]:
    return [(b.row, doc.text[b.start : b.end]) for b in doc.blocks if b.kind == "table_row"]


def test_csv_rows_name_their_columns_and_keep_their_numbers() -> None:
    doc = _load("trains.csv", csv_table())
    assert _rows(doc) == [
        (2, "Train: IC 201; Departure: 08:15; Platform: 4"),
        (3, "Train: IC 305; Departure: 09:40; Platform: 7"),
    ]
    assert doc.title == "Trains"


def test_csv_delimiter_is_sniffed_and_a_semicolon_in_a_cell_cannot_split_it() -> None:
    data = b'Plan;Price;Note\nPro;20;"monthly; cancel any time"\n'
    assert _rows(_load("plans.csv", data)) == [
        (2, "Plan: Pro; Price: 20; Note: monthly, cancel any time")
    ]


def test_tsv_rows_skip_empty_cells_and_name_unnamed_columns() -> None:
    assert _rows(_load("staff.tsv", tsv_table()))[1] == (
        3,
        "Name: Grace Hopper; Role: Head of Research; Office: Room 7",
    )
    doc = _load("odd.tsv", b"Name\t\nAda\t\tLondon\n")
    assert _rows(doc) == [(2, "Name: Ada; column 3: London")]


def test_a_broken_csv_says_where() -> None:
    with pytest.raises(DocumentError, match="not valid CSV at record 2"):
        _load("bad.csv", b'a,b\n"x' + b"y" * 200_000 + b"\n")


def test_xlsx_sheets_are_sections_with_merged_cells_filled_and_cached_formula_values() -> None:
    doc = _load("budget.xlsx", xlsx_workbook())
    assert _texts(doc, "heading") == ["Notes", "Costs"]
    assert _rows(doc) == [
        (2, "Topic: Scope; Note: Costs of the school roof project"),
        (2, "Item: Solar panels; Cost (EUR): 120000; Category: Hardware"),
        (3, "Item: Inverters; Cost (EUR): 30000; Category: Hardware"),
        (4, "Item: Installation; Cost (EUR): 45000; Category: Labour"),
        (5, "Item: Total; Cost (EUR): 195000"),
    ]
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows[-1].heading_path == ("Costs",)


def test_pptx_slides_are_pages_with_titles_notes_and_tables() -> None:
    doc = _load("wind.pptx", pptx_deck())
    assert (doc.title, doc.page_unit) == ("Wind farm plan", "slide")
    assert _texts(doc, "heading") == ["Wind farm plan", "Turbines", "Schedule"]
    notes = next(b for b in doc.blocks if "Vestas" in doc.text[b.start : b.end])
    assert (notes.page, notes.heading_path) == (2, ("Turbines",))
    assert doc.text[notes.start : notes.end].startswith("Speaker notes: ")
    assert _rows(doc) == [
        (2, "Phase: Foundations; Month: April"),
        (3, "Phase: Cabling; Month: June"),
    ]
    chunks = chunk_document(doc, "wind.pptx", "wind.pptx", 1200, 200)
    assert {c.page_unit for c in chunks} == {"slide"} and {c.page for c in chunks} == {1, 2, 3}


def test_epub_chapters_are_sections_in_reading_order() -> None:
    doc = _load("tales.epub", epub_book())
    assert doc.title == "Harbour Tales"
    assert _texts(doc, "heading") == ["The Lighthouse", "The Storm"]
    pier = next(b for b in doc.blocks if "pier" in doc.text[b.start : b.end])
    assert pier.heading_path == ("The Storm",)


def test_eml_headers_body_and_readable_attachments() -> None:
    doc = _load("visit.eml", eml_message())
    assert doc.title == "Harbour visit"
    assert doc.text.startswith(
        "From: Harbour Office <office@harbour.example>; To: crew@harbour.example; "
        "Date: Mon, 04 Mar 2024 09:00:00 +0100"
    )
    assert "planned for Thursday 14 March" in doc.text
    assert [name for name, _ in doc.attachments] == ["agenda.pdf"]  # the .zip is not read


def test_a_pdf_title_comes_from_its_first_heading_and_each_part_knows_its_page() -> None:
    doc = _load("helios.pdf", helios_pdf())
    assert doc.title == HELIOS_TITLE
    [chunk] = chunk_document(doc, "helios.pdf", "helios.pdf", 1200, 200)
    assert chunk.page == 1
    at = chunk.text.index("Revenue in 2023")
    pages = [p.page for p in chunk.places if p.start <= chunk.start + at]
    assert pages[-1] == 2


def test_a_pdf_metadata_title_wins_over_its_heading() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Official title")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.cell(text="Big heading")
    assert _load("x.pdf", bytes(pdf.output())).title == "Official title"


def test_a_ruled_pdf_table_is_read_as_rows_cited_by_page_and_row() -> None:
    doc = _load("storage.pdf", ruled_pdf())
    assert doc.title == "Cloud storage price list"
    rows = [(b.page, b.row, doc.text[b.start : b.end]) for b in doc.blocks if b.kind == "table_row"]
    assert rows == [
        (2, 2, "Plan: Lite; Storage: 50 GB; Price: 3 EUR/month"),
        (2, 3, "Plan: Plus; Storage: 2 TB; Price: 11 EUR/month"),
        (2, 4, "Plan: Max; Storage: 10 TB; Price: 40 EUR/month"),
    ]
    texts = [doc.text[b.start : b.end] for b in doc.blocks if b.page == 2]
    assert texts[0] == "The plans and their prices are listed below."
    assert texts[-1] == "Prices include VAT."  # the table's cells are not read twice
    plus = next(c for c in chunk_document(doc, "s", "s", 1200, 200) if "Plus" in c.text)
    place = plus.places[-1]
    assert describe_place(place.page, place.row) == "page 2, row 3"


def test_pdf_pages_without_ruling_lines_are_not_given_to_pdfplumber(monkeypatch) -> None:
    from ingest.loaders import pdf_tables

    asked: list[list[int]] = []
    real = pdf_tables.read_tables

    def spy(data: bytes, pages, seconds: float):
        asked.append(list(pages))
        return real(data, pages, seconds)

    monkeypatch.setattr("ingest.loaders.pdf.read_tables", spy)
    _load("helios.pdf", helios_pdf())
    _load("storage.pdf", ruled_pdf())
    assert asked == [[1]]  # helios.pdf draws no rules; storage.pdf only on page 2


def test_ruled_tables_are_looked_for_only_within_their_time_budget() -> None:
    doc = load_document(Path("storage.pdf"), ruled_pdf(), table_seconds=0.0)
    assert not [b for b in doc.blocks if b.kind == "table_row"]
    assert "Plus 2 TB 11 EUR/month" in doc.text  # the page keeps its text


def test_odt_headings_are_sections_and_its_tables_rows() -> None:
    doc = _load("ferries.odt", odt_document())
    assert doc.title == "Ferry guide"
    assert _texts(doc, "heading") == ["Ferry guide", "Summer sailings"]
    assert _rows(doc) == [
        (2, "Route: Norrby; Departure: 06:30; Fare: 12 EUR"),
        (3, "Route: Holmsund; Departure: 09:10; Fare: 8 EUR"),
    ]
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows[0].heading_path == ("Ferry guide", "Summer sailings")
    assert _texts(doc, "list_item") == ["Bicycles travel free of charge."]


def test_odt_repeated_rows_and_cells_cannot_blow_up() -> None:
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = load(io.BytesIO(odt_document()))
    row = TableRow(numberrowsrepeated=1_000_000)
    cell = TableCell(numbercolumnsrepeated=1_000_000)
    cell.addElement(P(text="x"))
    row.addElement(cell)
    document.text.getElementsByType(Table)[0].addElement(row)
    buffer = io.BytesIO()
    document.save(buffer)
    doc = _load("huge.odt", buffer.getvalue())
    assert len(_rows(doc)) <= 2 + 100


def test_an_odt_is_held_to_the_unzipped_size_limit_and_a_damaged_one_says_so() -> None:
    with pytest.raises(DocumentError, match="^OpenDocument file would unpack to .* over the"):
        load_document(Path("f.odt"), odt_document(), max_unzipped_mb=0.001)
    with pytest.raises(DocumentError, match="not a valid OpenDocument"):
        _load("f.odt", b"PK\x03\x04 not really a zip" * 10)


def test_scanned_pdf_pages_are_read_by_ocr_with_their_page_numbers() -> None:
    doc = _load("scanned-memo.pdf", scanned_pdf())
    budget = next(b for b in doc.blocks if "budget is 3.4 million" in doc.text[b.start : b.end])
    assert budget.page == 2 and budget.ocr
    assert all(b.ocr for b in doc.blocks)


def test_ocr_runs_only_on_pages_without_a_text_layer() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (text_pdf(["Typed page about herring."]), scanned_pdf()):
        writer.append(PdfReader(io.BytesIO(data)))
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = _load("mixed.pdf", buffer.getvalue())
    flags = {b.page: b.ocr for b in doc.blocks}
    assert flags == {1: False, 2: True, 3: True}


def test_a_png_of_text_is_read_by_ocr() -> None:
    doc = _load("ferry.png", png_text())
    assert "ferry to Sandvik leaves at 07:45" in doc.text
    assert all(b.ocr and b.page is None for b in doc.blocks)


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))


def test_an_image_claiming_a_huge_size_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(DocumentError, match="too big to read by OCR|not an image"):
        _load("bomb.png", _png_header(60_000, 60_000))


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("b.xlsx", xlsx_workbook, "Excel"),
        ("w.pptx", pptx_deck, "PowerPoint"),
        ("t.epub", epub_book, "EPUB"),
    ],
)
def test_zip_based_formats_are_held_to_the_unzipped_size_limit(name, data, kind) -> None:
    with pytest.raises(DocumentError, match=f"^{kind} file would unpack to .* over the 0.001 MB"):
        load_document(Path(name), data(), max_unzipped_mb=0.001)


@pytest.mark.parametrize(("name", "kind"), [("x.xlsx", "Excel"), ("x.pptx", "PowerPoint"),
                                            ("x.epub", "EPUB")])  # fmt: skip
def test_damaged_files_of_new_formats_say_so(name: str, kind: str) -> None:
    with pytest.raises(DocumentError, match="not a valid"):
        _load(name, b"PK\x03\x04 not really a zip" * 10)


def test_a_big_table_is_packed_and_a_100k_row_csv_parses_in_bounded_memory() -> None:
    data = csv_table(100_000)
    job = ParseJob(Path("big.csv"), data, "big.csv", "/big.csv", 1200, 200, LIMIT_MB)
    tracemalloc.start()
    try:
        parsed = parse_and_chunk(job)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.chunks) < 100_000 // 10  # rows packed, not one chunk each
    assert peak < 40 * len(data)  # measured: 29x the file's size
    last = parsed.chunks[-1]
    assert last.places[-1].row == 100_003
    rows = csv_table(MAX_ROWS_ALONE - 3)  # 199 data rows: each a chunk
    small = parse_and_chunk(ParseJob(Path("t.csv"), rows, "t", "/t", 1200, 200, LIMIT_MB))
    assert len(small.chunks) == MAX_ROWS_ALONE - 1


def test_a_big_documents_vectors_are_made_a_slice_at_a_time_as_the_store_writes_them(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document of more chunks than an embedding group is embedded one store batch at a
    time (so its vectors are never all held), and each chunk gets its own vector."""
    from ingest import sync
    from ingest.embedder import new_embedder

    monkeypatch.setattr(sync, "EMBED_GROUP_CHUNKS", 4)
    store = ChunkStore.open(settings)
    monkeypatch.setattr(store._catalog, "_batch", 5)
    embedder = new_embedder(settings)
    embed = embedder.embed_documents
    sizes: list[int] = []

    def counting(texts, progress=None):  # the real embedder, calls counted
        sizes.append(len(texts))
        return embed(texts, progress)

    monkeypatch.setattr(embedder, "embed_documents", counting)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "big.csv").write_bytes(csv_table(MAX_ROWS_ALONE + 200))
    (folder / "note.txt").write_text("The harbour opens at dawn.\n")

    report = sync_paths([folder], settings, store=store, embedder=embedder)

    assert {f.doc_id: f.status for f in report.files} == {"big.csv": "added", "note.txt": "added"}
    chunks = store.chunks_of("big.csv")
    assert len(chunks) > 10 and sizes and max(sizes) <= 5
    for chunk in chunks[:: len(chunks) // 3]:
        [vector] = embed([sync.embedding_text(chunk)])
        best = store.similarities(vector, [c.id for c in chunks])
        assert max(best, key=best.__getitem__) == chunk.id


def test_citation_locations_read_as_people_say_them() -> None:
    assert describe_place(3, None, "slide") == "slide 3"
    assert describe_place(None, 4) == "row 4"
    assert describe_place(2, 5) == "page 2, row 5"
    assert describe_place(None, None) == ""


def test_an_emails_attachments_are_documents_of_their_own_and_go_with_it(
    tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "visit.eml").write_bytes(eml_message())

    first = sync_paths([folder], settings)
    assert [(f.doc_id, f.status) for f in first.files] == [
        ("visit.eml", "added"),
        ("visit.eml/agenda.pdf", "added"),
    ]
    store = ChunkStore.open(settings)
    agenda = store.document("visit.eml/agenda.pdf")
    assert agenda is not None and "Fisherman's Inn" in agenda.text
    assert agenda.source == str((folder / "visit.eml").resolve())

    again = sync_paths([folder], settings)
    assert [(f.doc_id, f.status) for f in again.files] == [("visit.eml", "unchanged")]

    from email import message_from_bytes, policy

    message = message_from_bytes(eml_message(), policy=policy.default)
    message.clear_content()
    message.set_content("The visit is cancelled.\n")
    (folder / "visit.eml").write_bytes(message.as_bytes())
    updated = sync_paths([folder], settings)
    assert sorted((f.doc_id, f.status) for f in updated.files) == [
        ("visit.eml", "updated"),
        ("visit.eml/agenda.pdf", "removed"),
    ]

    (folder / "visit.eml").unlink()
    pruned = sync_paths([folder], settings)
    assert [(f.doc_id, f.status) for f in pruned.files] == [("visit.eml", "removed")]
    assert ChunkStore.open(settings).documents() == []


def test_removing_an_email_removes_its_attachments(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "visit.eml").write_bytes(eml_message())
    (folder / "other.txt").write_text("The harbour opens at dawn.\n")
    sync_paths([folder], settings)
    result = CliRunner().invoke(cli, ["remove", "visit.eml", "--store", str(settings.store_dir)])
    assert result.exit_code == 0, result.output
    assert result.output == "removed visit.eml\nremoved visit.eml/agenda.pdf\n"
    assert [r.doc_id for r in ChunkStore.open(settings).documents()] == ["other.txt"]


def test_ingest_json_gives_each_files_verdict_and_the_totals(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "trains.csv").write_bytes(csv_table())
    (folder / "slides.key").write_bytes(b"PK\x03\x04")
    result = CliRunner().invoke(
        cli, ["ingest", str(folder), "--store", str(tmp_path / "s"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert files["slides.key"]["status"] == "skipped"
    assert files["slides.key"]["message"].startswith("unsupported extension .key; citewise reads")
    assert (files["trains.csv"]["status"], files["trains.csv"]["chunks"]) == ("added", 2)
    assert (report["added"], report["skipped"], report["chunks_written"]) == (1, 1, 2)


@pytest.mark.slow
def test_a_folder_of_every_kind_ingests_and_each_question_is_answered_from_its_place(
    tmp_path: Path, parts_for: PartsFor
) -> None:
    """The issue's acceptance test: one result line per file, then every fact answered by the
    real reader, cited at the right page, slide, sheet or row (and marked OCR where it is)."""
    from ingest.settings import load_settings

    folder = tmp_path / "mixed"
    write_mixed(folder)
    store_dir = tmp_path / "store"
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    added = sorted(line.split(" ")[1] for line in lines[:-1])
    assert added == sorted([*mixed_files(), "visit.eml/agenda.pdf"])
    assert lines[-1].startswith(f"added {len(added)}, updated 0, unchanged 0, removed 0, failed 0")

    engine = parts_for(load_settings(store_dir=store_dir)).engine
    for fact in FACTS:
        answer = engine.answer(fact.question)
        assert not answer.abstained, fact
        citation = answer.citations[0]
        passage = citation.passage
        assert passage.doc_id == fact.doc_id, (fact, answer.text)
        assert fact.answer.lower() in answer.text.lower(), (fact, answer.text)
        assert citation.location == fact.location, (fact, citation.location)
        assert citation.place.ocr == fact.ocr, fact
        if fact.heading:
            assert fact.heading in passage.heading_path, (fact, passage.heading_path)
        as_json = citation.to_json()
        assert as_json["location"] == fact.location and as_json["ocr"] == fact.ocr


def _tesseract_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        program = command[0].rsplit(b"/", 1)[-1]
        if entry.name.isdigit() and [program, *command[1:3]] == [b"tesseract", b"stdin", b"stdout"]:
            found.append(int(entry.name))
    return found


def test_ocr_stops_at_once_when_the_parser_is_killed_for_its_time_limit() -> None:
    """The worker is killed (as ``ParseWorker.run`` does at the time limit) while Tesseract
    reads a page: Tesseract goes with it, rather than finishing pages nobody waits for."""
    import threading

    from pypdf import PdfReader, PdfWriter

    from ingest.parse_worker import ParseWorker

    writer = PdfWriter()
    for _ in range(5):
        writer.append(PdfReader(io.BytesIO(scanned_pdf())))  # ten pages, seconds of OCR each
    buffer = io.BytesIO()
    writer.write(buffer)
    worker = ParseWorker()
    job = ParseJob(Path("long-scan.pdf"), buffer.getvalue(), "s", "/s", 1200, 200, LIMIT_MB)
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            worker.run(job, 120.0)
        except DocumentError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=parse)
    thread.start()
    deadline = time.monotonic() + 60
    while not _tesseract_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _tesseract_processes(), "OCR never started"
    assert worker._process is not None
    worker._process.kill()  # what the time limit does
    thread.join(30)
    worker.stop()
    deadline = time.monotonic() + 0.5  # Tesseract would finish its page (seconds) if not killed
    while _tesseract_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _tesseract_processes() == []
    assert outcome and "parser stopped" in str(outcome[0])
