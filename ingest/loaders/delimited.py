"""CSV and TSV files as one table, read with the standard library's csv module.

The delimiter of a .csv is sniffed from its start (Excel writes ";" where "," is the decimal
mark); a .tsv is tab-separated. Records are read one at a time into the document's rows, so
a 100,000-row file costs its text and one block per row, nothing per cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ingest.errors import DocumentError
from ingest.loaders.document import DocumentBuilder, ParsedDocument
from ingest.loaders.encoding import decode_text
from ingest.loaders.tables import add_table

_SNIFF_CHARS = 64_000
_CANDIDATES = ",;\t|"


def _dialect(text: str, tab: bool) -> type[csv.Dialect] | csv.Dialect:
    if tab:
        return csv.excel_tab
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=_CANDIDATES)
    except csv.Error:  # one column, or too little to tell: a comma is the format's default
        return csv.excel


def _records(text: str, tab: bool) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)``; the number counts records as a spreadsheet shows them."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text, tab))
    try:
        yield from enumerate(reader, 1)
    except csv.Error as exc:
        raise DocumentError(
            f"file is not valid CSV at record {reader.line_num}: {exc}",
            "check its quotes and delimiters",
        ) from None


def _load(data: bytes, fallback_title: str, *, tab: bool) -> ParsedDocument:
    builder = DocumentBuilder()
    add_table(builder, _records(decode_text(data), tab))
    return builder.build(fallback_title)


def load_csv(data: bytes, fallback_title: str) -> ParsedDocument:
    """A .csv file: its first record is the header."""
    return _load(data, fallback_title, tab=False)


def load_tsv(data: bytes, fallback_title: str) -> ParsedDocument:
    """A .tsv file: tab-separated, its first record the header."""
    return _load(data, fallback_title, tab=True)
