"""Tables kept as tables: each row one block that names its columns.

A row is written ``Plan: Pro; Price: 20 EUR/month; Support: email``: whichever rows a chunk
holds, it carries its table's header, and the embedder and the reader see which value belongs
to which column (a row of bare values, "Pro | 20 | email", tells them neither). The row's
number (the header being row 1, as a spreadsheet counts) goes with its block, so a citation
names the row. The sources panel parses the same form back into a table
(``app.web.render.cited_rows_table``), so cell values never hold "; " and names never ": ".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ingest.loaders.document import DocumentBuilder

CAPTION_LEVEL = 7
"""A caption is a heading below any a document can have (HTML and Markdown stop at 6), so
it joins the heading path of its rows and is closed when the table ends."""


def cell_text(value: object) -> str:
    """A cell's value on one line, with no "; " that would read as a cell boundary."""
    if value is None:
        return ""
    return " ".join(str(value).replace(";", ",").split())


def column_names(header: Sequence[str], width: int) -> list[str]:
    """The header's names, ``column N`` where a name is blank or the header is too short."""
    names = [" ".join(name.replace(": ", " - ").split()) for name in header]
    names += [""] * (width - len(names))
    return [name or f"column {i}" for i, name in enumerate(names, 1)]


def row_text(names: Sequence[str], cells: Sequence[str]) -> str:
    """``Name: value; Name: value`` for the row's non-empty cells."""
    return "; ".join(f"{name}: {value}" for name, value in zip(names, cells, strict=False) if value)


def add_table(
    builder: DocumentBuilder,
    rows: Iterable[tuple[int, Sequence[object]]],
    *,
    caption: str = "",
    page: int | None = None,
    ocr: bool = False,
) -> None:
    """Add a table given as ``(row number, cells)``, its first row the header. Empty rows and
    repeats of the header are dropped; a table of only a header is kept as one line."""
    if caption.strip():
        builder.add(caption, "heading", level=CAPTION_LEVEL, page=page, ocr=ocr)
    header: list[str] | None = None
    names: list[str] = []
    added = False
    for number, values in rows:
        cells = [cell_text(v) for v in values]
        if not any(cells):
            continue
        if header is None:
            header, header_row = cells, number
            continue
        if cells == header:
            continue
        if len(cells) > len(names):
            names = column_names(header, len(cells))
        builder.add(row_text(names, cells), "table_row", page=page, row=number, ocr=ocr)
        added = True
    if header is not None and not added:
        line = " | ".join(c for c in header if c)
        builder.add(line, "table_row", page=page, row=header_row, ocr=ocr)
    if caption.strip():
        builder.headings.leave(CAPTION_LEVEL)
