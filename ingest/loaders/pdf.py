"""Text of PDF files, page by page, with lines re-joined into paragraphs; scanned pages by OCR,
ruled tables as tables (``ingest.loaders.pdf_tables``)."""

from __future__ import annotations

import io
import logging
import math
import re

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from ingest.errors import DocumentError
from ingest.loaders.document import BlockKind, DocumentBuilder, ParsedDocument, normalise
from ingest.loaders.pdf_tables import Table, TablePage, draws_rules, read_tables
from ingest.loaders.tables import add_table
from ingest.text.lists import LIST_ITEM

_TERMINAL = ".!?:;\u2026\"'\u2019\u201d)"
_SHORT_LINE = 0.75
_GENERATOR_PREFIX = re.compile(r"^(?:Microsoft (?:Word|PowerPoint) - )")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|-\s*\d{1,4}\s*-", re.I)
_MIN_PAGES_FOR_MARGINS = 3
_MAX_MARGIN_CHARS = 80
_TITLE_SEARCH_LINES = 5
_TITLE_SCALE = 1.2
_MAX_TITLE_CHARS = 200
_OCR_DPI = 300
TABLE_SECONDS = 60.0
"""Time given to finding ruled tables when the caller sets none: a third of the default
per-file limit (``max_parse_seconds``), leaving the rest for text, OCR and chunking."""

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _damaged() -> DocumentError:
    return DocumentError("file is damaged or not a PDF", "it may be truncated; try saving it again")


def _encrypted() -> DocumentError:
    return DocumentError("PDF is encrypted", "remove its password, then ingest it again")


def _open(data: bytes) -> PdfReader:
    if b"%PDF-" not in data[:1024] or b"%%EOF" not in data[-2048:]:
        raise _damaged()
    try:
        reader = PdfReader(io.BytesIO(data))
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, OSError, RecursionError):
        raise _damaged() from None
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise _encrypted()
        except (FileNotDecryptedError, DependencyError, NotImplementedError, PdfReadError):
            raise _encrypted() from None
    return reader


def _outline_titles(reader: PdfReader) -> dict[int, list[tuple[int, str]]]:
    """Bookmarks by 0-based page: (depth, title). Used to recognise headings in the text."""
    found: dict[int, list[tuple[int, str]]] = {}

    def visit(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                visit(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a dangling bookmark only costs us a heading
                continue
            title = " ".join(str(item.title or "").split())
            if title and page is not None and page >= 0:
                found.setdefault(page, []).append((depth, title))

    try:
        visit(reader.outline, 1)
    except Exception:  # a broken outline only costs us the headings
        return {}
    return found


def _lines(page_text: str) -> list[str]:
    return [" ".join(line.split()) for line in normalise(page_text).split("\n")]


def _margin_key(line: str) -> str:
    return _DIGITS.sub("#", line.casefold())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Page headers and footers: top or bottom lines repeated on most pages (digits aside)."""
    if len(pages) < _MIN_PAGES_FOR_MARGINS:
        return set()
    counts: dict[str, int] = {}
    for lines in pages:
        content = [line for line in lines if line]
        margins = content[:2] + content[-2:]
        for key in {_margin_key(line) for line in margins if len(line) <= _MAX_MARGIN_CHARS}:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count >= len(pages) / 2}


def _body_lines(lines: list[str], running: set[str]) -> list[str]:
    """A page's lines without page numbers and running headers or footers; a page whose every
    line looks like a running one (one short line per page: "Revenue in 2021 was ...") keeps
    them, so the filter never takes a page's only text."""
    text = [line for line in lines if not line or not _PAGE_NUMBER.fullmatch(line)]
    body = [line for line in text if not line or _margin_key(line) not in running]
    return body if any(body) else text


def _paragraphs(lines: list[str], headings: dict[str, int]) -> list[str]:
    """Re-join a page's lines: a blank or short line, a list marker or a heading ends one."""
    lengths = sorted(len(line) for line in lines if line)
    width = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
    paragraphs: list[str] = []
    current = previous = ""
    for line in lines:
        starts_new = (
            not line
            or LIST_ITEM.match(line)
            or line.casefold() in headings
            or previous.casefold() in headings
            or len(previous) < _SHORT_LINE * width
        )
        if current and starts_new:
            paragraphs.append(current)
            current = ""
        if not line:
            previous = ""
        elif not current:
            current = line
        elif current.endswith("-") and current[-2:-1].isalpha() and line[0].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}"
        previous = line
    if current:
        paragraphs.append(current)
    return paragraphs


def _sized_lines(page: PageObject) -> list[tuple[str, float]]:
    """The page's lines with the largest font size each is set in."""
    lines: list[tuple[str, float]] = []
    current, size = "", 0.0

    def visit(text: str, cm: list[float], tm: list[float], font: object, font_size: float) -> None:
        nonlocal current, size
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append((" ".join(current.split()), size))
                current, size = "", 0.0
            if part.strip():
                current += part
                size = max(size, font_size * scale)

    page.extract_text(visitor_text=visit)
    lines.append((" ".join(current.split()), size))
    return [(text, size) for text, size in lines if text]


def _title_lines(page: PageObject) -> list[str]:
    """The first page's title: its leading lines set well above the body's font size."""
    lines = _sized_lines(page)
    weights: dict[float, int] = {}
    for text, size in lines:
        weights[round(size, 1)] = weights.get(round(size, 1), 0) + len(text)
    if not weights:
        return []
    body = max(weights, key=lambda size: weights[size])
    title: list[str] = []
    title_size = 0.0
    for text, size in lines[:_TITLE_SEARCH_LINES]:
        big = size >= _TITLE_SCALE * body and len(text) <= _MAX_TITLE_CHARS
        if big and (not title or abs(size - title_size) < 0.5):
            title.append(text)
            title_size = size
        elif title:
            break
    return title


def _with_title(lines: list[str], title: list[str]) -> tuple[list[str], str | None]:
    """``lines`` with the title's lines joined into one, and that line (None if not found)."""
    if not title:
        return lines, None
    for i in range(len(lines) - len(title) + 1):
        if lines[i : i + len(title)] == title:
            joined = " ".join(title)
            return [*lines[:i], joined, "", *lines[i + len(title) :]], joined
    return lines, None


def _ocr_page(data: bytes, index: int) -> str:
    """OCR of page ``index`` rendered at 300 dpi (less for a page too big for that)."""
    import pypdfium2 as pdfium

    from ingest.loaders import ocr

    document = pdfium.PdfDocument(data)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = min(_OCR_DPI / 72, math.sqrt(ocr.MAX_PIXELS / max(width * height, 1.0)))
        image = page.render(scale=scale, grayscale=True).to_pil()
        return ocr.read_image(image)
    finally:
        document.close()


def _page_lines(reader: PdfReader, data: bytes) -> tuple[list[list[str]], set[int]]:
    """Every page's lines, and the pages read by OCR: those without a text layer, when
    Tesseract is installed."""
    from ingest.loaders import ocr

    try:
        pages = [_lines(page.extract_text() or "") for page in reader.pages]
    except Exception:  # pypdf's own words name its internals; see load_pdf
        raise _damaged() from None
    scanned = {i for i, lines in enumerate(pages) if not any(lines)}
    if scanned and ocr.available():
        for index in sorted(scanned):
            pages[index] = _lines(_ocr_page(data, index))
    else:
        scanned = set()
    return pages, scanned


def _tables(
    reader: PdfReader, data: bytes, scanned: set[int], seconds: float
) -> dict[int, TablePage]:
    """Ruled tables by 0-based page, looked for only on text pages that draw rules."""
    try:
        ruled = [i for i, page in enumerate(reader.pages) if i not in scanned and draws_rules(page)]
    except Exception:  # see load_pdf: pypdf's own words name its internals
        raise _damaged() from None
    return read_tables(data, ruled, seconds) if ruled else {}


def _kept_items(items: list[str | Table], running: set[str], lines: list[str]) -> list[str | Table]:
    """``items`` without the lines ``_body_lines`` drops from ``lines`` (its text lines)."""
    kept = iter(_body_lines(lines, running))
    wanted = next(kept, None)
    found: list[str | Table] = []
    for item in items:
        if isinstance(item, Table):
            found.append(item)
        elif item == wanted:
            found.append(item)
            wanted = next(kept, None)
    return found


def _runs(items: list[str | Table]) -> list[list[str] | Table]:
    """Consecutive lines grouped, tables between them."""
    runs: list[list[str] | Table] = []
    for item in items:
        if isinstance(item, Table):
            runs.append(item)
        elif runs and isinstance(runs[-1], list):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _add_lines(
    builder: DocumentBuilder, lines: list[str], headings: dict[str, int], page: int, ocr: bool
) -> None:
    for paragraph in _paragraphs(lines, headings):
        depth = headings.get(paragraph.casefold())
        if depth is not None:
            builder.add(paragraph, "heading", level=depth, page=page, ocr=ocr)
        else:
            kind: BlockKind = "list_item" if LIST_ITEM.match(paragraph) else "paragraph"
            builder.add(paragraph, kind, page=page, ocr=ocr)


def load_pdf(
    data: bytes, fallback_title: str, *, table_seconds: float = TABLE_SECONDS
) -> ParsedDocument:
    """Parse a PDF; each block knows its 1-based page. Bookmarked lines become headings, and
    so does the first page's title (its leading lines in a larger font). Pages without a
    text layer (scans) are read by OCR, their blocks marked as such. Ruled tables become
    rows that name their columns, each cited by page and row; looking for them stops after
    ``table_seconds``.

    Running headers, footers and page numbers are dropped: repeated on every page, they
    would otherwise land in every chunk and pull unrelated searches towards them.
    """
    reader = _open(data)
    outline = _outline_titles(reader)
    pages, scanned = _page_lines(reader, data)
    items_of: dict[int, list[str | Table]] = {}
    for index, table_page in _tables(reader, data, scanned, table_seconds).items():
        items_of[index] = [
            item if isinstance(item, Table) else " ".join(normalise(item).split())
            for item in table_page.items()
        ]
        pages[index] = [item for item in items_of[index] if isinstance(item, str)]
    try:
        metadata = reader.metadata
        title_lines = _title_lines(reader.pages[0]) if reader.pages and 0 not in scanned else []
    except Exception:
        # pypdf fails on damaged files in its own words, naming its internals ("Detected loop
        # with self reference for IndirectObject(2, 0, 140474792704976)", "property
        # 'indirect_reference' of 'IndirectObject' object has no setter"): the user needs to
        # know only that the file is damaged.
        raise _damaged() from None
    running = _running_lines(pages)
    builder = DocumentBuilder()
    for number, lines in enumerate(pages):
        headings = {title.casefold(): depth for depth, title in outline.get(number, [])}
        items = items_of.get(number) or [*lines]
        read_by_ocr = number in scanned
        for index, run in enumerate(_runs(_kept_items(items, running, lines))):
            if isinstance(run, Table):
                add_table(builder, enumerate(run.rows, 1), page=number + 1)
                continue
            if number == 0 and index == 0:
                run, title_line = _with_title(run, title_lines)
                if title_line is not None and title_line.casefold() not in headings:
                    headings[title_line.casefold()] = 1
            _add_lines(builder, run, headings, number + 1, read_by_ocr)
    if not builder.blocks:
        if any(line for lines in pages for line in lines):
            raise DocumentError("PDF holds only page numbers, no text to index")
        from ingest.loaders import ocr

        if not ocr.available():
            raise DocumentError("PDF has no extractable text (scanned PDF?)", ocr.INSTALL_HINT)
        raise DocumentError("PDF has no extractable text, and OCR found none on its pages")
    title = " ".join(str(metadata.title or "").split()) if metadata else ""
    title = _GENERATOR_PREFIX.sub("", title)
    if not title and builder.first_heading:
        title = builder.first_heading[1]
    return builder.build(title or fallback_title)
