"""Blocks of plain text and Markdown, found line by line in the normalised text.

The document text is the file's own text (normalised), so Markdown markup stays in it; only
the block boundaries and heading paths are derived from the markup. Pipe tables are the one
exception: their rows are rewritten to name their columns, as every loader writes them.
"""

from __future__ import annotations

import re

from ingest.loaders.document import Block, BlockKind, HeadingStack, ParsedDocument, normalise
from ingest.loaders.markdown_tables import rewrite_tables
from ingest.text.lists import LIST_ITEM

_ATX_HEADING = re.compile(r" {0,3}(#{1,6})[ ]+(.*?)(?:[ ]+#+)? *$")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+) *$")
_RULE = re.compile(r" {0,3}(?:(?:-[ ]*){3,}|(?:\*[ ]*){3,}|(?:_[ ]*){3,})$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_INLINE_MARKUP = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")


class _Blocks:
    """Accumulates blocks while the lines are scanned."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.headings = HeadingStack()
        self.first_heading: tuple[int, str] | None = None
        self.kind: BlockKind | None = None
        self.start = 0
        self.end = 0
        self.lines = 0

    def open(self, kind: BlockKind, start: int, end: int) -> None:
        self.close()
        self.kind, self.start, self.end, self.lines = kind, start, end, 1

    def extend(self, end: int) -> None:
        self.end = end
        self.lines += 1

    def close(self) -> None:
        if self.kind is not None:
            self.blocks.append(Block(self.start, self.end, self.kind, self.headings.path))
        self.kind = None

    def heading(self, level: int, title: str, start: int, end: int) -> None:
        self.close()
        title = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", title).strip() or title
        path = self.headings.enter(level, title)
        if self.first_heading is None or level < self.first_heading[0]:
            self.first_heading = (level, title)
        self.blocks.append(Block(start, end, "heading", path))


def parse_lines(raw: str, fallback_title: str, *, markdown: bool) -> ParsedDocument:
    """Parse text into blocks; with ``markdown``, '#' and underlined lines are headings and
    pipe tables are rewritten as rows (``ingest.loaders.markdown_tables``)."""
    text = normalise(raw)
    rows: dict[int, int] = {}
    if markdown and "|" in text:
        text, rows = rewrite_tables(text)
    acc = _Blocks()
    fence: str | None = None
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if fence is not None:
            acc.extend(end)
            if line.strip().startswith(fence):
                acc.close()
                fence = None
            continue
        if not line.strip():
            acc.close()
            continue
        if start in rows:
            acc.close()
            acc.blocks.append(Block(start, end, "table_row", acc.headings.path, row=rows[start]))
            continue
        if markdown:
            if m := _FENCE.match(line):
                fence = m.group(1)
                acc.open("paragraph", start, end)
                continue
            if m := _ATX_HEADING.match(line):
                acc.heading(len(m.group(1)), m.group(2).strip(), start, end)
                continue
            if acc.kind == "paragraph" and acc.lines == 1 and _SETEXT_UNDERLINE.match(line):
                first_line = text[acc.start : acc.end]
                level = 1 if line.strip().startswith("=") else 2
                acc.kind = None
                acc.heading(level, first_line.strip(), acc.start, end)
                continue
            if _RULE.match(line):
                acc.close()
                continue
        kind = _kind_of(line, markdown)
        if kind == "list_item" or kind != acc.kind and not _continues(acc.kind, kind):
            acc.open(kind, start, end)
        else:
            acc.extend(end)
    acc.close()
    title = acc.first_heading[1] if acc.first_heading else fallback_title
    return ParsedDocument(title=title, text=text, blocks=acc.blocks)


def _kind_of(line: str, markdown: bool) -> BlockKind:
    stripped = line.lstrip()
    if LIST_ITEM.match(line):
        return "list_item"
    if stripped.startswith(">"):
        return "quote"
    if markdown and stripped.startswith("|"):
        return "table"
    return "paragraph"


def _continues(open_kind: BlockKind | None, kind: BlockKind) -> bool:
    """A plain line right after a list item or a quote line belongs to it (lazy continuation)."""
    return kind == "paragraph" and open_kind in ("list_item", "quote")
