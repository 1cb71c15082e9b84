"""OpenDocument text (.odt, as LibreOffice writes it) with odfpy: headings as sections, tables
as tables.

The body is walked in document order: ``text:h`` is a heading at its outline level, a
paragraph styled "Title" is the document's title heading, lists give list items, sections and
frames are entered, and ``table:table`` becomes rows that name their columns (the header rows
first). A row or cell that LibreOffice marks as repeated ("the next 1,000 rows are empty") is
repeated only when it holds text, and only up to a bound, so a small file cannot expand into
millions of rows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.sax import SAXException

from odf import teletype
from odf.namespaces import TABLENS, TEXTNS
from odf.opendocument import load

from ingest.errors import DocumentError
from ingest.limits import check_inflation
from ingest.loaders.document import DocumentBuilder, ParsedDocument
from ingest.loaders.tables import add_table

MAX_REPEATS = 100
"""Most times one repeated row or cell with text is written out (more is filler)."""
MAX_HEADING_LEVEL = 6
"""ODF allows ten outline levels; deeper ones are read as 6, as HTML's deepest (below it,
``tables.CAPTION_LEVEL`` is a table's caption)."""
MAX_COLUMNS = 1_024
"""Cells read per table row: as wide as a spreadsheet application goes."""
_TITLE_STYLES = frozenset({"title"})
_DEFAULT_TABLE_NAME = re.compile(r"[^\W\d]+\d+")
"""A name the application gave ("Table1", "Tabelle2"), not a caption the author wrote."""
_CONTAINERS = frozenset(
    {
        (TEXTNS, "section"),
        (TEXTNS, "index-body"),
        (TEXTNS, "table-of-content"),
        (TEXTNS, "illustration-index"),
        (TEXTNS, "alphabetical-index"),
        (TEXTNS, "bibliography"),
        (TEXTNS, "user-index"),
        (TEXTNS, "object-index"),
        (TEXTNS, "table-index"),
    }
)
_ROW_GROUPS = frozenset(
    {(TABLENS, "table-header-rows"), (TABLENS, "table-rows"), (TABLENS, "table-row-group")}
)
_CELLS = frozenset({(TABLENS, "table-cell"), (TABLENS, "covered-table-cell")})


def _elements(node: Any) -> Iterator[Any]:
    """The element children of ``node`` (odfpy also keeps text nodes as children)."""
    for child in node.childNodes:
        if getattr(child, "qname", None) is not None:
            yield child


def _repeats(node: Any, attribute: str) -> int:
    try:
        return max(1, int(node.getAttribute(attribute) or 1))
    except ValueError:
        return 1


def _cells(row: Any) -> list[str]:
    """A row's cell texts; a repeated empty cell counts once, a covered (merged) one is empty."""
    cells: list[str] = []
    for cell in _elements(row):
        if cell.qname not in _CELLS:
            continue
        text = teletype.extractText(cell) if cell.qname[1] == "table-cell" else ""
        count = min(_repeats(cell, "numbercolumnsrepeated"), MAX_REPEATS) if text.strip() else 1
        cells.extend([text] * min(count, MAX_COLUMNS - len(cells)))
        if len(cells) >= MAX_COLUMNS:
            break
    return cells


def _rows(table: Any) -> Iterator[list[str]]:
    """The table's rows in order, header rows first (they come first in the XML)."""
    for child in _elements(table):
        if child.qname in _ROW_GROUPS:
            yield from _rows(child)
        elif child.qname == (TABLENS, "table-row"):
            cells = _cells(child)
            count = min(_repeats(child, "numberrowsrepeated"), MAX_REPEATS)
            for _ in range(count if any(c.strip() for c in cells) else 1):
                yield cells


class _Walker:
    """Adds the blocks of an .odt body to a builder, in document order."""

    def __init__(self, styles: dict[str, str]) -> None:
        self.builder = DocumentBuilder()
        self._styles = styles

    def _style(self, node: Any) -> str:
        name = node.getAttribute("stylename") or ""
        return self._styles.get(name, name).casefold()

    def walk(self, node: Any) -> None:
        for child in _elements(node):
            tag = child.qname
            if tag == (TEXTNS, "h"):
                level = min(_repeats(child, "outlinelevel"), MAX_HEADING_LEVEL)
                self.builder.add(teletype.extractText(child), "heading", level=level)
            elif tag == (TEXTNS, "p"):
                self._paragraph(child)
            elif tag == (TEXTNS, "list"):
                self._list(child)
            elif tag == (TABLENS, "table"):
                name = child.getAttribute("name") or ""
                caption = "" if _DEFAULT_TABLE_NAME.fullmatch(name) else name
                add_table(self.builder, enumerate(_rows(child), 1), caption=caption)
            elif tag in _CONTAINERS:
                self.walk(child)

    def _paragraph(self, node: Any) -> None:
        text = teletype.extractText(node)
        if self._style(node) in _TITLE_STYLES:
            self.builder.add(text, "heading", level=0)
        else:
            self.builder.add(text, "paragraph")

    def _list(self, node: Any) -> None:
        for item in _elements(node):
            for child in _elements(item):
                if child.qname == (TEXTNS, "list"):
                    self._list(child)
                elif child.qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                    self.builder.add(teletype.extractText(child), "list_item")


def _style_names(document: Any) -> dict[str, str]:
    """Automatic style name ("P3") -> the named style it derives from ("Title")."""
    names: dict[str, str] = {}
    for container in (document.automaticstyles, document.styles):
        for style in _elements(container):
            name = style.getAttribute("name") if style.qname[1] == "style" else None
            if name:
                names[name] = style.getAttribute("parentstylename") or name
    return names


def _meta_title(document: Any) -> str:
    for element in _elements(document.meta):
        if element.qname[1] == "title":
            return " ".join(teletype.extractText(element).split())
    return ""


def load_odt(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse an .odt; the title is its metadata title, else its Title paragraph or first
    heading."""
    check_inflation(data, "OpenDocument .odt")
    try:
        document = load(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, SAXException, OSError, TypeError):
        raise DocumentError(
            "file is not a valid OpenDocument .odt file",
            "it may be damaged; save it again from its application",
        ) from None
    if document.mimetype != "application/vnd.oasis.opendocument.text":
        raise DocumentError(
            f"file is not an OpenDocument text but {document.mimetype or 'of no known kind'}",
            "only .odt text documents are read; save spreadsheets as .xlsx",
        )
    walker = _Walker(_style_names(document))
    walker.walk(document.text)
    builder = walker.builder
    title = _meta_title(document)
    if not title and builder.first_heading:
        title = builder.first_heading[1]
    return builder.build(title or fallback_title)
