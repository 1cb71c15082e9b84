"""One real file of each kind people keep, written on the fly, each holding one fact.

``FACTS`` lists, per file, the question its fact answers, the words of the answer, and where
a citation must point (page, slide, sheet, row). Tests of the loaders, the fuzz test and the
end-to-end test (ingest the folder, ask each question with the real reader) all use them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import xlsxwriter
from ebooklib import epub
from fpdf import FPDF
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import H, List, ListItem, P
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.util import Inches


@dataclass(frozen=True)
class Fact:
    """A question about one file, words its answer holds, and where it must be cited."""

    doc_id: str
    question: str
    answer: str
    location: str
    heading: str | None = None
    ocr: bool = False


HELIOS_TITLE = "Helios-3 Solar Project: Annual Report 2023"


def markdown_table() -> bytes:
    return (
        b"# Pricing\n\nAll prices are per month and include VAT.\n\n"
        b"| Plan | Price | Support |\n|------|------:|---------|\n"
        b"| Basic | 0 EUR/month | none |\n| Pro | 20 EUR/month | email |\n"
        b"| Team | 50 EUR/month | phone |\n\nPrices change every January.\n"
    )


def html_table() -> bytes:
    return (
        b"<html><head><title>Hosting</title></head><body><h1>Hosting</h1>"
        b"<p>Every tier runs in our Frankfurt data centre.</p><table>"
        b"<caption>Hosting tiers</caption>"
        b"<tr><th>Tier</th><th>Storage</th><th>Backups</th></tr>"
        b"<tr><td>Starter</td><td>10 GB</td><td>daily</td></tr>"
        b"<tr><td>Business</td><td>200 GB</td><td>hourly</td></tr>"
        b"</table></body></html>"
    )


def docx_table() -> bytes:
    document = docx.Document()
    document.add_heading("Garden tools", level=1)
    document.add_paragraph("The tools belong to the allotment society.")
    rows = [("Tool", "Count", "Kept in"), ("Spade", "4", "the shed"),
            ("Wheelbarrow", "2", "the garage")]  # fmt: skip
    table = document.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csv_table(rows: int = 0) -> bytes:
    lines = ["Train,Departure,Platform", "IC 201,08:15,4", "IC 305,09:40,7"]
    lines += [f"RE {1000 + i},{i % 24:02d}:{i % 60:02d},{i % 12 + 1}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def tsv_table() -> bytes:
    return (
        b"Name\tRole\tOffice\nAda Lovelace\tChief Technology Officer\tRoom 12\n"
        b"Grace Hopper\tHead of Research\tRoom 7\n"
    )


def xlsx_workbook() -> bytes:
    """Two sheets; a merged category cell over two rows; a formula with its cached value."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    notes = book.add_worksheet("Notes")
    notes.write_row(0, 0, ["Topic", "Note"])
    notes.write_row(1, 0, ["Scope", "Costs of the school roof project"])
    costs = book.add_worksheet("Costs")
    costs.write_row(0, 0, ["Item", "Cost (EUR)", "Category"])
    costs.write_row(1, 0, ["Solar panels", 120000])
    costs.write_row(2, 0, ["Inverters", 30000])
    costs.merge_range("C2:C3", "Hardware")
    costs.write_row(3, 0, ["Installation", 45000, "Labour"])
    costs.write(4, 0, "Total")
    costs.write_formula(4, 1, "=SUM(B2:B4)", None, 195000)
    book.close()
    return buffer.getvalue()


def pptx_deck() -> bytes:
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Wind farm plan"
    first.placeholders[1].text = "Twelve turbines on the northern ridge"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Turbines"
    second.placeholders[1].text = "Each turbine produces 3 megawatts."
    second.notes_slide.notes_text_frame.text = "The turbines were bought from Vestas in 2022."
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "Schedule"
    shape = third.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2))
    for r, row in enumerate([("Phase", "Month"), ("Foundations", "April"), ("Cabling", "June")]):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def epub_book() -> bytes:
    book = epub.EpubBook()
    book.set_identifier("harbour-tales-1")
    book.set_title("Harbour Tales")
    book.set_language("en")
    chapters = []
    for number, (title, text) in enumerate(
        [
            ("The Lighthouse", "The lighthouse keeper lit the lamp every evening at dusk."),
            ("The Storm", "The great storm destroyed the old pier in 1953."),
        ],
        1,
    ):
        chapter = epub.EpubHtml(title=title, file_name=f"chapter{number}.xhtml", lang="en")
        chapter.content = f"<h1>{title}</h1><p>{text}</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.spine = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    buffer = io.BytesIO()
    epub.write_epub(buffer, book)
    return buffer.getvalue()


def text_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def eml_message() -> bytes:
    message = EmailMessage()
    message["From"] = "Harbour Office <office@harbour.example>"
    message["To"] = "crew@harbour.example"
    message["Subject"] = "Harbour visit"
    message["Date"] = "Mon, 04 Mar 2024 09:00:00 +0100"
    message.set_content("Hello all,\n\nThe harbour visit is planned for Thursday 14 March.\n")
    agenda = text_pdf(["Agenda of the visit.", "The visit ends with lunch at the Fisherman's Inn."])
    message.add_attachment(agenda, maintype="application", subtype="pdf", filename="agenda.pdf")
    message.add_attachment(b"\x00\x01", maintype="application", subtype="zip", filename="x.zip")
    return message.as_bytes()


def helios_pdf() -> bytes:
    """Two pages, no bookmarks; the title in a large font; the answer on page 2."""
    pdf = FPDF()
    pdf.set_title("")
    line: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.multi_cell(0, 10, HELIOS_TITLE, **line)
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(
        0, 6, "The project started in 2021. It installed panels on twelve roofs.", **line
    )
    pdf.add_page()
    pdf.multi_cell(0, 6, "Revenue in 2023 was 4.2 million euros, up from 3.1 million.", **line)
    return bytes(pdf.output())


def ruled_pdf() -> bytes:
    """Page 1 prose; page 2 a sentence, a table drawn with ruled cells, a sentence."""
    pdf = FPDF()
    line: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.multi_cell(0, 10, "Cloud storage price list", **line)
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Our storage plans are billed monthly. " * 6, **line)
    pdf.add_page()
    pdf.multi_cell(0, 6, "The plans and their prices are listed below.", **line)
    rows = [("Plan", "Storage", "Price"), ("Lite", "50 GB", "3 EUR/month"),
            ("Plus", "2 TB", "11 EUR/month"), ("Max", "10 TB", "40 EUR/month")]  # fmt: skip
    with pdf.table() as table:
        for cells in rows:
            row = table.row()
            for value in cells:
                row.cell(value)
    pdf.multi_cell(0, 6, "Prices include VAT.", **line)
    return bytes(pdf.output())


def odt_document() -> bytes:
    """Headings at two levels, a paragraph, a table with a header row, a list."""
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Ferry guide"))
    document.text.addElement(P(text="Ferries leave from the north pier of Lindholm."))
    document.text.addElement(H(outlinelevel=2, text="Summer sailings"))
    table = Table(name="Table1")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    header = TableHeaderRows()
    table.addElement(header)
    rows = [("Route", "Departure", "Fare"), ("Norrby", "06:30", "12 EUR"),
            ("Holmsund", "09:10", "8 EUR")]  # fmt: skip
    for number, cells in enumerate(rows):
        row = TableRow()
        for value in cells:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        (header if number == 0 else table).addElement(row)
    document.text.addElement(table)
    items = List()
    item = ListItem()
    item.addElement(P(text="Bicycles travel free of charge."))
    items.addElement(item)
    document.text.addElement(items)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_image(lines: list[str], size: tuple[int, int] = (2480, 3508)) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=48)
    for i, line in enumerate(lines):
        draw.text((160, 200 + 90 * i), line, fill=0, font=font)
    return image


def scanned_pdf() -> bytes:
    """Two A4 pages that are only pictures of text, as a scanner writes them."""
    first = _page_image(
        ["Memo: Harbour dredging", "The dredging of the north harbour starts in May."]
    )
    second = _page_image(["Budget", "The dredging budget is 3.4 million euros."])
    buffer = io.BytesIO()
    first.save(buffer, format="PDF", save_all=True, append_images=[second], resolution=300)
    return buffer.getvalue()


def png_text() -> bytes:
    image = _page_image(["The ferry to Sandvik leaves at 07:45 every weekday."], (1700, 400))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


FACTS = [
    Fact("pricing.md", "How much does the Pro plan cost?", "20 EUR/month", "row 3", "Pricing"),
    Fact("hosting.html", "How much storage does the Business tier have?", "200 GB", "row 3",
         "Hosting tiers"),
    Fact("tools.docx", "Where is the wheelbarrow kept?", "garage", "row 3"),
    Fact("trains.csv", "Which platform does IC 305 leave from?", "7", "row 3"),
    Fact("staff.tsv", "What is Grace Hopper's role?", "Head of Research", "row 3"),
    Fact("budget.xlsx", "How much did the inverters cost?", "30000", "row 3", "Costs"),
    Fact("wind.pptx", "From which company were the turbines bought?", "Vestas", "slide 2",
         "Turbines"),
    Fact("tales.epub", "When did the storm destroy the old pier?", "1953", "", "The Storm"),
    Fact("visit.eml", "When is the harbour visit planned?", "14 March", ""),
    Fact("visit.eml/agenda.pdf", "Where does the visit end with lunch?", "Fisherman", "page 1"),
    Fact("helios.pdf", "What was the revenue in 2023?", "4.2 million euros", "page 2",
         HELIOS_TITLE),
    Fact("scanned-memo.pdf", "What is the dredging budget?", "3.4 million euros", "page 2",
         ocr=True),
    Fact("ferry.png", "When does the ferry to Sandvik leave?", "07:45", "", ocr=True),
    Fact("storage.pdf", "How much does the Plus plan cost?", "11 EUR/month", "page 2, row 3"),
    Fact("ferries.odt", "What is the fare to Holmsund?", "8 EUR", "row 3", "Summer sailings"),
]  # fmt: skip


def mixed_files() -> dict[str, bytes]:
    """File name -> content: one file of each kind, each holding its ``FACTS`` entry."""
    return {
        "pricing.md": markdown_table(),
        "hosting.html": html_table(),
        "tools.docx": docx_table(),
        "trains.csv": csv_table(),
        "staff.tsv": tsv_table(),
        "budget.xlsx": xlsx_workbook(),
        "wind.pptx": pptx_deck(),
        "tales.epub": epub_book(),
        "visit.eml": eml_message(),
        "helios.pdf": helios_pdf(),
        "scanned-memo.pdf": scanned_pdf(),
        "ferry.png": png_text(),
        "storage.pdf": ruled_pdf(),
        "ferries.odt": odt_document(),
    }


def write_mixed(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in mixed_files().items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths
