"""Excel .xlsx workbooks with openpyxl: each sheet a section, its rows a table.

The workbook is opened read-only (rows are streamed from the zip, not held as cell objects)
with the values Excel last computed for formulas (``data_only``). A read-only sheet does not
report its merged cells, so they are found by scanning its XML for ``mergeCell``; the value
of a merged range is repeated in every cell it covers, so a category written once beside
five rows still names each of them.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from ingest.errors import DocumentError
from ingest.loaders.document import DocumentBuilder, ParsedDocument
from ingest.loaders.tables import add_table

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}\d+:[A-Z]{1,3}\d+)"')
_READ_BYTES = 1 << 20


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """``(min_col, min_row, max_col, max_row)`` of each merged range of a read-only sheet."""
    refs: dict[bytes, None] = {}
    tail = b""
    with sheet._get_source() as source:  # openpyxl's own handle on the sheet's XML
        while block := source.read(_READ_BYTES):
            data = tail + block
            refs.update(dict.fromkeys(_MERGE.findall(data)))
            tail = data[-100:]  # a tag cut in two by the read is found whole next time
    return [range_boundaries(ref.decode()) for ref in refs]


def _shown(value: object) -> object:
    """A cell value as a person reads it: 20 not 20.0, a date without a midnight time."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _rows(sheet: Any) -> Iterator[tuple[int, Sequence[object]]]:
    """``(row number, values)``, each merged range's value filled into all its cells."""
    ranges = _merged_ranges(sheet)
    values_of: dict[tuple[int, int, int, int], object] = {}
    for number, raw in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
        cells = [_shown(v) for v in raw]
        for merged in ranges:
            min_col, min_row, max_col, max_row = merged
            if not min_row <= number <= max_row:
                continue
            if number == min_row and min_col <= len(cells):
                values_of[merged] = cells[min_col - 1]
            value = values_of.get(merged)
            for col in range(min_col, min(max_col, len(cells)) + 1):
                if cells[col - 1] is None:
                    cells[col - 1] = value
        yield number, cells


def load_xlsx(data: bytes, fallback_title: str) -> ParsedDocument:
    """Parse a workbook; the sheet's name is the heading its rows are cited under."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise DocumentError(
            "file is not a valid Excel .xlsx workbook",
            "it may be damaged, or an old .xls renamed; save it as .xlsx",
        ) from None
    builder = DocumentBuilder()
    try:
        for sheet in workbook.worksheets:
            builder.add(sheet.title, "heading", level=1)
            add_table(builder, _rows(sheet))
        title = " ".join((workbook.properties.title or "").split())
    finally:
        workbook.close()
    return builder.build(title or fallback_title)
