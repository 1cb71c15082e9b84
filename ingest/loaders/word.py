"""Text of Word .docx files, with headings and lists taken from paragraph styles.

Style names are read once into a dict: python-docx's ``paragraph.style`` searches every style
of the document for each paragraph, which made a 45 KB file of 100,000 empty paragraphs take
a minute.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.errors import DocumentError
from ingest.limits import check_inflation
from ingest.loaders.document import BlockKind, DocumentBuilder, ParsedDocument
from ingest.loaders.tables import add_table

_HEADING_STYLE = re.compile(r"heading\s*(\d)", re.IGNORECASE)
_QUOTE_STYLES = frozenset({"quote", "intense quote", "block text"})


class _StyleNames:
    """Paragraph style id -> style name, the document's default style for a missing id."""

    def __init__(self, document: DocxDocument) -> None:
        styles = document.styles.element
        self._names = {
            s.styleId: s.name_val or ""
            for s in styles.style_lst
            if s.type == WD_STYLE_TYPE.PARAGRAPH and s.styleId
        }
        default = styles.default_for(WD_STYLE_TYPE.PARAGRAPH)
        self._default = (default.name_val or "") if default is not None else ""

    def of(self, paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        return self._names.get(style_id, self._default) if style_id else self._default


def _kind(paragraph: Paragraph, style: str) -> tuple[BlockKind, int]:
    if m := _HEADING_STYLE.fullmatch(style.strip()):
        return "heading", int(m.group(1))
    lowered = style.lower()
    if lowered == "title":
        return "heading", 0
    p_pr = paragraph._p.pPr
    if lowered.startswith("list") or (p_pr is not None and p_pr.numPr is not None):
        return "list_item", 1
    if lowered in _QUOTE_STYLES:
        return "quote", 1
    return "paragraph", 1


def _table_rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cell texts)``; a merged cell's text is under each column it spans."""
    for number, row in enumerate(table.rows, 1):
        yield number, [cell.text for cell in row.cells]


def load_docx(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse a .docx; the title is the Title paragraph, else the first heading."""
    check_inflation(data, "Word .docx")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises zip, XML, key and value errors alike
        raise DocumentError(
            "file is not a valid Word .docx file", "it may be damaged, or an old .doc renamed"
        ) from None
    builder = DocumentBuilder()
    styles = _StyleNames(document)
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            add_table(builder, _table_rows(item))
        else:
            text = item.text
            if text.strip():
                kind, level = _kind(item, styles.of(item))
                builder.add(text, kind, level=level)
    title = builder.first_heading[1] if builder.first_heading else ""
    if not title:
        title = " ".join((document.core_properties.title or "").split())
    return builder.build(title or fallback_title)
