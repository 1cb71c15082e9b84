"""Ruled tables of PDF pages, found with pdfplumber where pypdf sees only lines of words.

pypdf reads a table as lines of cell values ("Pro 20 EUR/month email"), which names no
column. pdfplumber rebuilds the grid from the ruling lines drawn around the cells and gives
the cells row by row. It costs far more than pypdf (it lays out every character), so it runs
only on pages whose content stream draws ruled lines or rectangles, and only within a time
budget: past it, the remaining pages keep pypdf's text, so a long ruled report is read (its
later tables as plain lines) rather than killed at the per-file time limit. Tables without
rules (columns aligned by spaces only) are left to pypdf: guessing columns from word gaps
splits ordinary prose into "cells".
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pypdf import PageObject

TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
MIN_RULES = 3
"""Lines or rectangles a page must draw before pdfplumber is asked (a table needs at least
two rules each way; one rectangle is a frame or a clip path)."""

_PATH = re.compile(rb"(?<![A-Za-z'*])(re|l)\s")
"""A ``re`` (rectangle) or ``l`` (line to) operator in a content stream."""
_CLIP = re.compile(rb"(?<![A-Za-z'*])re\s+W\*?\s")
"""A rectangle used as a clip path, which draws nothing."""

logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Table:
    """A table's cell texts, row by row (the first its header), and how far down its page
    it starts."""

    top: float
    rows: list[list[str]]


@dataclass(frozen=True)
class TablePage:
    """A page that holds ruled tables: its other text lines with their top, and its tables."""

    lines: list[tuple[float, str]]
    tables: list[Table]

    def items(self) -> list[str | Table]:
        """The lines and tables in reading order (top to bottom)."""
        placed: list[tuple[float, int, str | Table]] = [(t, 1, line) for t, line in self.lines]
        placed += [(table.top, 0, table) for table in self.tables]
        return [item for _, _, item in sorted(placed, key=lambda p: (p[0], p[1]))]


def draws_rules(page: PageObject) -> bool:
    """Whether the page's own content stream draws at least ``MIN_RULES`` lines or
    rectangles: the cheap test that spares pdfplumber the pages of prose. Rules drawn inside
    a form XObject are not seen."""
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except Exception:  # a damaged stream only costs the page its tables
        return False
    return len(_PATH.findall(data)) - len(_CLIP.findall(data)) >= MIN_RULES


def _inside(item: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (item.get("x0", 0.0) + item.get("x1", 0.0)) / 2
    y = (item.get("top", 0.0) + item.get("bottom", 0.0)) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _table_page(page: Any) -> TablePage | None:
    found = page.find_tables(TABLE_SETTINGS)
    tables = []
    for table in found:
        rows = [[cell or "" for cell in row] for row in table.extract()]
        if len(rows) >= 2 and max(len(row) for row in rows) >= 2:
            tables.append(Table(table.bbox[1], rows))
    if not tables:
        return None
    boxes = [table.bbox for table in found]
    outside = page.filter(lambda item: not _inside(item, boxes))
    lines = [(line["top"], line["text"]) for line in outside.extract_text_lines()]
    return TablePage(lines, tables)


def read_tables(data: bytes, pages: Iterable[int], seconds: float) -> dict[int, TablePage]:
    """The ruled tables of the given 0-based pages, by page; pages without one are left out,
    and so are those not reached within ``seconds``."""
    import pdfplumber

    deadline = time.monotonic() + seconds
    found: dict[int, TablePage] = {}
    try:
        document = pdfplumber.open(io.BytesIO(data))
    except Exception:  # pypdf read the file; pdfplumber failing only costs the tables
        return found
    with document:
        for index in pages:
            if time.monotonic() > deadline:
                break
            page = document.pages[index]
            try:
                table_page = _table_page(page)
            except Exception:  # one page's odd drawing only costs that page its tables
                table_page = None
            finally:
                page.close()
            if table_page is not None:
                found[index] = table_page
    return found
