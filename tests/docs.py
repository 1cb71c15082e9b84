"""Real test documents of every supported format, written on the fly.

Other test modules (sync, CLI) import these helpers, so each document's facts are constants
here: titles, headings and a phrase that must (or must not) be found after ingestion.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import docx
from fpdf import FPDF

PLAIN_TEXT = """\
Field notes on coastal erosion

Dr. Smith measured the cliff retreat at 1.5 metres per year, i.e. faster than expected. \
The survey used the U.S. Geological Survey method described by J. K. Harlow et al. in 2019. \
Results were checked twice, e.g. against aerial photographs. Erosion peaks in winter storms.

Key observations:
- Storm surges remove loose sediment.
- Groynes slow the drift of sand along the shore.
- Vegetation holds the dunes together.

The next campaign starts in March. It will cover St. Ives and two other bays.
"""

LATIN1_TEXT = """\
Le café de la région était très animé ce matin-là. Les pêcheurs parlaient à voix haute \
de la saison. Ça sentait le poisson frais et le pain chaud.

Après la pluie, le soleil revint sur la côte. Les enfants coururent vers la plage où \
les vagues déposaient des algues. Personne ne s'attendait à une journée aussi belle.
"""

MARKDOWN_TEXT = """\
# Solar Panel Maintenance Guide

Solar panels need little care, but neglect costs output. This guide covers cleaning and inspection.

## Cleaning

Dust and pollen reduce efficiency by up to 5% per month in dry regions.
Clean panels early in the morning, when the glass is cool.

* Use soft brushes only.
* Rinse with deionised water.
+ Never use abrasive detergents.

### Frequency

1. Inspect monthly.
2. Clean every three months.
3) Book a professional check every year.

## Inspection

```
# this comment is code, not a heading
check_voltage(panel)
```

Look for cracks, hot spots and loose wiring. A cracked panel must be replaced, not repaired.

Wiring Faults
-------------

Loose connectors cause arcing. Tighten them with the inverter switched off.
"""

HTML_TEXT = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Urban Beekeeping Basics</title>
  <style>body { color: red; } .secret { display: block; }</style>
  <script>var trackingSecret = "SCRIPT-SHOULD-NOT-APPEAR";</script>
</head>
<body>
  <header><a href="/">HEADER-SHOULD-NOT-APPEAR</a></header>
  <nav><ul><li><a href="/a">NAV-SHOULD-NOT-APPEAR</a></li></ul></nav>
  <main>
    <article>
      <h1>Keeping Bees in the City</h1>
      <p>Urban hives produce <b>surprisingly</b> good honey. Rooftops keep the bees away
         from passers-by.</p>
      <h2>Choosing a Site</h2>
      <p>A site needs morning sun and shelter from wind.<br>Water must be nearby.</p>
      <ul>
        <li>Check local regulations first.</li>
        <li>Tell your neighbours.</li>
      </ul>
      <template><p>TEMPLATE-SHOULD-NOT-APPEAR</p></template>
      <noscript>NOSCRIPT-SHOULD-NOT-APPEAR</noscript>
      <h2>Seasonal Work</h2>
      <table>
        <tr><th>Season</th><th>Task</th></tr>
        <tr><td>Spring</td><td>Inspect the queen</td></tr>
        <tr><td>Autumn</td><td>Feed sugar syrup</td></tr>
      </table>
      <blockquote>Bees do not sting without a reason.</blockquote>
      <div hidden>HIDDEN-SHOULD-NOT-APPEAR</div>
    </article>
  </main>
  <aside>ASIDE-SHOULD-NOT-APPEAR</aside>
  <footer>FOOTER-SHOULD-NOT-APPEAR</footer>
  <script>console.log("SCRIPT-SHOULD-NOT-APPEAR")</script>
</body>
</html>
"""
HTML_BOILERPLATE_MARK = "SHOULD-NOT-APPEAR"

PDF_TITLE = "Annual Report on River Quality"
PDF_SECTIONS = ("Sampling Methods", "Findings", "Outlook")
PDF_RUNNING_HEADER = "River Quality Report - Environment Agency"
PDF_PARAGRAPH = (
    "Water samples were taken at twelve stations along the river every month. "
    "Each sample was tested for nitrates, phosphates and dissolved oxygen. "
    "The laboratory followed the standard protocol, i.e. three replicates per sample. "
)

DOCX_TITLE = "Community Garden Handbook"
DOCX_HEADINGS = ("Getting Started", "Plot Rules", "Shared Tools")
DOCX_LIST_ITEMS = ("Water your plot twice a week.", "Keep paths clear.", "Label your crops.")


def write_text(folder: Path) -> dict[str, Path]:
    """Plain text in UTF-8, UTF-16 with a BOM, and Latin-1 (cp1252)."""
    files = {
        "notes.txt": PLAIN_TEXT.encode("utf-8"),
        "notes_utf16.txt": PLAIN_TEXT.encode("utf-16"),
        "cafe_latin1.txt": LATIN1_TEXT.encode("cp1252"),
        "windows_lines.txt": PLAIN_TEXT.replace("\n", "\r\n").encode("utf-8-sig"),
    }
    return _write(folder, files)


class _ReportPDF(FPDF):
    """A PDF with a running header and a page-number footer, like most real reports."""

    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 8, PDF_RUNNING_HEADER, new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")


def pdf_bytes(pages: int = 3, *, password: str | None = None) -> bytes:
    """A real multi-page PDF: metadata title, bookmarked headings, prose, lists, margins."""
    pdf = _ReportPDF()
    pdf.set_title(PDF_TITLE)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    line: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}
    for number in range(pages):
        pdf.add_page()
        section = PDF_SECTIONS[number % len(PDF_SECTIONS)]
        pdf.set_font("Helvetica", "B", 16)
        pdf.start_section(section, level=0)
        pdf.cell(0, 10, section, **line)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, f"Page {number + 1} opens here. " + PDF_PARAGRAPH * 3, **line)
        pdf.ln(6)
        pdf.multi_cell(0, 6, "- Nitrate levels fell in the upper river.", **line)
        pdf.multi_cell(0, 6, "- Oxygen levels stayed stable.", **line)
        pdf.ln(6)
        closing = f"This closes the part on {section.lower()} of the yearly survey."
        pdf.multi_cell(0, 6, PDF_PARAGRAPH * 2 + closing, **line)
    return bytes(pdf.output())


def docx_bytes() -> bytes:
    """A real .docx with a Title, Heading 1/2 paragraphs, bullet and numbered lists, a table."""
    document = docx.Document()
    document.add_paragraph(DOCX_TITLE, style="Title")
    document.add_heading(DOCX_HEADINGS[0], level=1)
    document.add_paragraph(
        "Every member gets one plot. Plots are assigned in March, e.g. by a draw."
    )
    document.add_heading(DOCX_HEADINGS[1], level=2)
    for item in DOCX_LIST_ITEMS:
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph("Bring your own seeds.", style="List Number")
    document.add_heading(DOCX_HEADINGS[2], level=1)
    document.add_paragraph("Tools are kept in the shed.\tThe key hangs by the gate.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Tool"
    table.cell(0, 1).text = "Count"
    table.cell(1, 0).text = "Spade"
    table.cell(1, 1).text = "4"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def long_markdown(sections: int = 40, paragraphs: int = 6) -> str:
    """A long structured document (headings, prose, lists) for chunking and speed checks."""
    rng = random.Random(7)
    vocabulary = (
        "river stone valley engine signal harvest market theory pattern winter bridge "
        "council metal garden window orbit pencil coast ladder forest station"
    )
    words = vocabulary.split()
    parts = ["# A Long Handbook"]
    for s in range(sections):
        parts.append(f"## Section {s + 1}: {rng.choice(words).title()}")
        for p in range(paragraphs):
            sentences = []
            for _ in range(rng.randint(2, 14)):
                body = " ".join(rng.choice(words) for _ in range(rng.randint(4, 30)))
                extra = rng.choice(["", " e.g. Dr. Lee", " (approx. 1.5 units)", " in the U.S."])
                sentences.append(f"{body.capitalize()}{extra}{rng.choice('..?!')}")
            parts.append(" ".join(sentences))
            if p == 2:
                parts.append("\n".join(f"- {rng.choice(words)} item {i}." for i in range(4)))
    return "\n\n".join(parts) + "\n"


def write_sample_corpus(folder: Path) -> dict[str, Path]:
    """One good document per format (several text encodings); name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = write_text(folder)
    files |= _write(
        folder,
        {
            "guide.md": MARKDOWN_TEXT.encode("utf-8"),
            "beekeeping.html": HTML_TEXT.encode("utf-8"),
            "river_report.pdf": pdf_bytes(),
            "garden.docx": docx_bytes(),
        },
    )
    return files


# Bad inputs: file name -> a phrase the DocumentError message must contain.
BAD_FILE_ERRORS = {
    "empty.txt": "is empty",
    "blank.md": "is empty",
    "binary.txt": "looks binary, not text",
    "garbage.txt": "looks binary, not text",
    "encrypted.pdf": "is encrypted",
    "truncated.pdf": "is damaged or not a PDF",
    "not_really.pdf": "is damaged or not a PDF",
    "scanned.pdf": "has no extractable text",
    "broken.docx": "is not a valid Word .docx file",
    "scripts_only.html": "has no visible text",
    "slides.key": "unsupported extension .key",
}


def _scanned_pdf() -> bytes:
    """A PDF whose only page holds a drawing and no text, like a scan without OCR."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def write_bad_files(folder: Path) -> dict[str, Path]:
    """Every kind of bad input, named as in ``BAD_FILE_ERRORS``; name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)
    good_pdf = pdf_bytes()
    files = {
        "empty.txt": b"",
        "blank.md": b"  \n\n\t \r\n",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        "garbage.txt": bytes(rng.choice(range(0x80, 0x100)) for _ in range(4000)),
        "encrypted.pdf": pdf_bytes(password="s3cret"),
        "truncated.pdf": good_pdf[: len(good_pdf) // 2],
        "not_really.pdf": b"This is a plain text file with a .pdf name.\n",
        "scanned.pdf": _scanned_pdf(),
        "broken.docx": b"PK\x03\x04 this is not a real zip archive" * 20,
        "scripts_only.html": b"<html><head><script>var a = 1;</script></head><body>"
        b"<nav>Home</nav><script>run()</script></body></html>",
        "slides.key": b"PK\x03\x04 a Keynote file",
    }
    return _write(folder, files)


def _write(folder: Path, files: dict[str, bytes]) -> dict[str, Path]:
    paths = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    return paths
