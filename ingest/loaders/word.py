"""Text of Word .docx files, with headings and lists taken from paragraph styles."""

from __future__ import annotations

import io
import re

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.errors import DocumentError
from ingest.loaders.document import BlockKind, DocumentBuilder, ParsedDocument

_HEADING_STYLE = re.compile(r"heading\s*(\d)", re.IGNORECASE)
_QUOTE_STYLES = frozenset({"quote", "intense quote", "block text"})


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "") if style is not None else ""


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


def _table_text(table: Table) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            if value and (not cells or cells[-1] != value):
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def load_docx(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse a .docx; the title is the Title paragraph, else the first heading."""
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises zip, XML, key and value errors alike
        raise DocumentError(
            "file is not a valid Word .docx file", "it may be damaged, or an old .doc renamed"
        ) from None
    builder = DocumentBuilder()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            builder.add(_table_text(item), "table")
        else:
            kind, level = _kind(item, _style_name(item))
            builder.add(item.text, kind, level=level)
    title = builder.first_heading[1] if builder.first_heading else ""
    if not title:
        title = " ".join((document.core_properties.title or "").split())
    return builder.build(title or fallback_title)
