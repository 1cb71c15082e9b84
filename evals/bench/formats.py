"""Reading speed of each file format: parse and chunk, in KB/s, and PDFs and OCR in pages/s.

Each format gets a generated file of a realistic shape (a 20,000-row sheet, a 60-slide deck,
a 60-chapter e-book, ...); the time is the best of ``--rounds`` runs of what the ingest's
parse worker does with it (load and chunk; embedding is the same for every format and is
measured by ``evals.bench.ingest``). Plain text of the same size is the baseline, measured
in the same run because the machine is shared; a PDF of ruled tables is timed beside the
same file read without looking for tables (pypdf alone) and beside a PDF of prose.

``--ingest-csv ROWS`` instead ingests a generated CSV of that many rows into a new index in
a fresh process (parse, embed, store: the whole ``citewise ingest``) and prints the peak
resident memory of that process and of its parse worker; ``--against DIR`` runs the same
ingest with the code of another checkout (a worktree of an older commit) as the baseline;
``--stand-in-embedder`` gives every chunk a random vector of the model's shape instead of
running the model, which measures the pipeline's own memory in seconds on a busy machine.

    python -m evals.bench.formats [--rounds 3]
    python -m evals.bench.formats --ingest-csv 100000 [--against /tmp/base] [--stand-in-embedder]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ingest.parse_worker import ParseJob, parse_and_chunk

ROWS = 20_000
SLIDES = 60
CHAPTERS = 60
OCR_PAGES = 3
PDF_PAGES = 20
TABLE_ROWS = 25
SENTENCE = "The harbour board met on Tuesday and approved the dredging budget for next year. "


def _csv() -> bytes:
    lines = ["Train,Departure,Platform,Operator"]
    lines += [f"RE {i},{i % 24:02d}:{i % 60:02d},{i % 12 + 1},Nordbahn" for i in range(ROWS)]
    return "\n".join(lines).encode()


def _xlsx() -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Trains")
    sheet.write_row(0, 0, ["Train", "Departure", "Platform", "Operator"])
    for i in range(ROWS):
        sheet.write_row(i + 1, 0, [f"RE {i}", f"{i % 24:02d}:{i % 60:02d}", i % 12 + 1, "Nordbahn"])
    book.close()
    return buffer.getvalue()


def _pptx() -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for n in range(SLIDES):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Topic {n}"
        slide.placeholders[1].text = SENTENCE * 3
        slide.notes_slide.notes_text_frame.text = SENTENCE * 2
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _epub() -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("bench")
    book.set_title("Bench")
    chapters = []
    for n in range(CHAPTERS):
        chapter = epub.EpubHtml(title=f"Chapter {n}", file_name=f"c{n}.xhtml")
        chapter.content = f"<h1>Chapter {n}</h1>" + f"<p>{SENTENCE * 8}</p>" * 6
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.spine = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    buffer = io.BytesIO()
    epub.write_epub(buffer, book)
    return buffer.getvalue()


def _eml() -> bytes:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["To"] = "b@example.org"
    message["Subject"] = "Minutes"
    message.set_content((SENTENCE * 8 + "\n\n") * 200)
    return message.as_bytes()


def _markdown_tables() -> bytes:
    table = "| Train | Departure | Platform |\n|---|---|---|\n" + "".join(
        f"| RE {i} | {i % 24:02d}:00 | {i % 12 + 1} |\n" for i in range(150)
    )
    return ("# Timetable\n\n" + (table + "\nSome prose after the table.\n\n") * 20).encode()


def _odt() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import H, P

    document = OpenDocumentText()
    for n in range(CHAPTERS):
        document.text.addElement(H(outlinelevel=1, text=f"Chapter {n}"))
        for _ in range(6):
            document.text.addElement(P(text=SENTENCE * 8))
        table = Table(name=f"Table{n}")
        for r in range(TABLE_ROWS):
            row = TableRow()
            for value in (f"RE {r}", f"{r % 24:02d}:00", str(r % 12 + 1)):
                cell = TableCell()
                cell.addElement(P(text=value))
                row.addElement(cell)
            table.addElement(row)
        document.text.addElement(table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf(ruled: bool) -> bytes:
    """``PDF_PAGES`` pages, each a paragraph and (``ruled``) a table drawn with cell borders,
    else the same words as prose."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    line: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}
    for page in range(PDF_PAGES):
        pdf.add_page()
        pdf.multi_cell(0, 5, SENTENCE * 4, **line)
        rows = [("Train", "Departure", "Platform")]
        rows += [(f"RE {page}{r}", f"{r % 24:02d}:00", str(r % 12 + 1)) for r in range(TABLE_ROWS)]
        if ruled:
            with pdf.table(line_height=7) as table:
                for cells in rows:
                    row = table.row()
                    for value in cells:
                        row.cell(value)
        else:
            pdf.multi_cell(0, 5, " ".join(" ".join(cells) + "." for cells in rows), **line)
    return bytes(pdf.output())


def _scanned_pdf() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=44)
    pages = []
    for _ in range(OCR_PAGES):
        page = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(page)
        for line in range(30):
            draw.text((150, 150 + 100 * line), SENTENCE[:60], fill=0, font=font)
        pages.append(page)
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=300)
    return buffer.getvalue()


def _best(name: str, data: bytes, rounds: int, *, seconds: float = 180.0) -> tuple[float, int]:
    job = ParseJob(Path(name), data, name, f"/{name}", 1200, 200, 1000.0, seconds)
    best, chunks = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        parsed = parse_and_chunk(job)
        best = min(best, time.perf_counter() - start)
        chunks = len(parsed.chunks)
    return best, chunks


_INGEST = """
import atexit, inspect, random, resource, sys, time
from pathlib import Path
import ingest.embedder
from ingest.settings import load_settings
from ingest.sync import sync_paths
try:
    from ingest.embedder import new_index_runtime
    RUNTIME = new_index_runtime(load_settings().embedding_model)
except ImportError:  # code from before a new index's runtime was chosen (nothing checks it)
    RUNTIME = None

class StandIn:
    '''Vectors as the model gives them (lists of 384 floats), made without it.'''

    runtime = RUNTIME  # the index refuses vectors of another runtime

    def embed_documents(self, texts, progress=None):
        vectors = [[random.random() for _ in range(384)] for _ in texts]
        if progress is not None:
            progress(len(texts), len(texts))
        return vectors

given = {}
if sys.argv[3] == "stand-in":
    if "embedder" in inspect.signature(sync_paths).parameters:
        given["embedder"] = StandIn()
    else:  # the code before the composition root fetched its embedder itself
        ingest.embedder.get_embedder = lambda settings: StandIn()
started = time.perf_counter()
report = sync_paths([Path(sys.argv[1])], load_settings(store_dir=Path(sys.argv[2])), **given)
seconds = time.perf_counter() - started
atexit._run_exitfuncs()  # stops the parse worker, so its peak is counted among children
own = resource.getrusage(resource.RUSAGE_SELF)
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(report.chunks, seconds, own.ru_maxrss, worker, own.ru_utime + own.ru_stime)
"""


def _ingest_csv(rows: int, code: Path, embedder: str) -> str:
    """One ingest of a ``rows``-row CSV, run in a fresh process with the code under ``code``:
    its peak RSS (the parse worker's apart), chunks written and times."""
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "docs" / "timetable.csv"
        table.parent.mkdir()
        lines = ["Train,Departure,Platform,Operator"]
        lines += [f"RE {i},{i % 24:02d}:{i % 60:02d},{i % 12 + 1},Nordbahn" for i in range(rows)]
        table.write_text("\n".join(lines) + "\n")
        environment = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-c", _INGEST, str(table.parent), str(Path(folder) / "s")]
        done = subprocess.run(
            [*command, embedder],
            cwd=code,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        chunks, seconds, own_kb, worker_kb, cpu = done.stdout.split()[-5:]
        size_mb = table.stat().st_size / 1e6
    return (
        f"{rows:>8,} rows ({size_mb:.1f} MB){int(chunks):>7} chunks"
        f"{int(own_kb) / 1024:>9.0f} MB{int(worker_kb) / 1024:>11.0f} MB"
        f"{float(seconds):>9.1f} s{float(cpu):>9.1f} s  {code}"
    )


def _formats(rounds: int) -> None:
    samples = {
        "timetable.csv": _csv(),
        "timetable.xlsx": _xlsx(),
        "deck.pptx": _pptx(),
        "book.epub": _epub(),
        "minutes.eml": _eml(),
        "tables.md": _markdown_tables(),
        "book.odt": _odt(),
    }
    print(f"{'file':<16}{'KB':>8}{'chunks':>8}{'seconds':>9}{'KB/s':>9}{'baseline KB/s':>15}")
    for name, data in samples.items():
        baseline = (SENTENCE * (len(data) // len(SENTENCE) + 1)).encode()[: len(data)]
        base_s, _ = _best("baseline.txt", baseline, rounds)
        seconds, chunks = _best(name, data, rounds)
        kb = len(data) / 1000
        speeds = f"{kb / seconds:>9.0f}{kb / base_s:>15.0f}"
        print(f"{name:<16}{kb:>8.0f}{chunks:>8}{seconds:>9.2f}{speeds}")
    ruled, prose = _pdf(ruled=True), _pdf(ruled=False)
    for label, data, seconds_for_tables in [
        ("PDF of prose", prose, 180.0),
        ("PDF of ruled tables, pypdf only", ruled, 0.0),
        ("PDF of ruled tables, pdfplumber", ruled, 180.0),
    ]:
        seconds, chunks = _best("f.pdf", data, rounds, seconds=seconds_for_tables * 3)
        print(f"{label:<32}{PDF_PAGES} pages {seconds:6.2f} s {PDF_PAGES / seconds:7.1f} pages/s"
              f"{chunks:>5} chunks")  # fmt: skip
    seconds, chunks = _best("scanned.pdf", _scanned_pdf(), 1)
    print(f"OCR (Tesseract, A4 at 300 dpi): {OCR_PAGES} pages in {seconds:.1f} s, "
          f"{OCR_PAGES / seconds:.2f} pages/s, {seconds / OCR_PAGES:.1f} s/page")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ingest-csv", type=int, metavar="ROWS", help="peak memory of an ingest")
    parser.add_argument("--against", type=Path, help="another checkout, as the baseline")
    parser.add_argument(
        "--stand-in-embedder",
        action="store_true",
        help="vectors from a stand-in of the model's shape: the pipeline's memory alone, "
        "in seconds rather than the model's minutes (its weights and compute come on top)",
    )
    args = parser.parse_args()
    if args.ingest_csv is None:
        _formats(args.rounds)
        return
    print(f"{'csv':>23}{'chunks':>14}{'peak RSS':>12}{'worker RSS':>13}{'wall':>10}{'cpu':>10}")
    for code in [args.against, Path.cwd()] if args.against else [Path.cwd()]:
        embedder = "stand-in" if args.stand_in_embedder else "model"
        print(_ingest_csv(args.ingest_csv, code.resolve(), embedder))


if __name__ == "__main__":
    main()
