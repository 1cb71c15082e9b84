"""Reading speed of each file format: parse and chunk, in KB/s, and OCR in pages/s.

Each format gets a generated file of a realistic shape (a 20,000-row sheet, a 60-slide deck,
a 60-chapter e-book, ...); the time is the best of ``--rounds`` runs of what the ingest's
parse worker does with it (load and chunk; embedding is the same for every format and is
measured by ``evals.bench.ingest``). Plain text of the same size is the baseline, measured
in the same run because the machine is shared.

    python -m evals.bench.formats [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import time
from email.message import EmailMessage
from pathlib import Path

from ingest.parse_worker import ParseJob, parse_and_chunk

ROWS = 20_000
SLIDES = 60
CHAPTERS = 60
OCR_PAGES = 3
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


def _best(name: str, data: bytes, rounds: int) -> tuple[float, int]:
    job = ParseJob(Path(name), data, name, f"/{name}", 1200, 200, 1000.0)
    best, chunks = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        parsed = parse_and_chunk(job)
        best = min(best, time.perf_counter() - start)
        chunks = len(parsed.chunks)
    return best, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    samples = {
        "timetable.csv": _csv(),
        "timetable.xlsx": _xlsx(),
        "deck.pptx": _pptx(),
        "book.epub": _epub(),
        "minutes.eml": _eml(),
        "tables.md": _markdown_tables(),
    }
    print(f"{'file':<16}{'KB':>8}{'chunks':>8}{'seconds':>9}{'KB/s':>9}{'baseline KB/s':>15}")
    for name, data in samples.items():
        baseline = (SENTENCE * (len(data) // len(SENTENCE) + 1)).encode()[: len(data)]
        base_s, _ = _best("baseline.txt", baseline, args.rounds)
        seconds, chunks = _best(name, data, args.rounds)
        kb = len(data) / 1000
        speeds = f"{kb / seconds:>9.0f}{kb / base_s:>15.0f}"
        print(f"{name:<16}{kb:>8.0f}{chunks:>8}{seconds:>9.2f}{speeds}")
    seconds, chunks = _best("scanned.pdf", _scanned_pdf(), 1)
    print(f"OCR (Tesseract, A4 at 300 dpi): {OCR_PAGES} pages in {seconds:.1f} s, "
          f"{OCR_PAGES / seconds:.2f} pages/s, {seconds / OCR_PAGES:.1f} s/page")  # fmt: skip


if __name__ == "__main__":
    main()
