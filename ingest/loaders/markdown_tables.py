"""Markdown pipe tables rewritten as rows that name their columns.

``| Plan | Price |`` over ``|---|---|`` over ``| Pro | 20 EUR |`` becomes the line
``Plan: Pro; Price: 20 EUR`` (see ``ingest.loaders.tables``), each row its own paragraph, so
the line scanner of ``ingest.loaders.lines`` sees one block per row. Tables inside fenced code
are left as they are.
"""

from __future__ import annotations

import re

from ingest.loaders.tables import cell_text, column_names, row_text

_DELIMITER = re.compile(r" {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_INLINE_MARKUP = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    parts = _CELL_SPLIT.split(inner)
    return [cell_text(_INLINE_MARKUP.sub(lambda m: m.group(1) or "", p).replace("\\|", "|"))
            for p in parts]  # fmt: skip


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and "-" in lines[i + 1]
        and bool(_DELIMITER.match(lines[i + 1]))
        and len(_cells(lines[i])) == len(_cells(lines[i + 1]))
    )


def rewrite_tables(text: str) -> tuple[str, dict[int, int]]:
    """``text`` with each pipe table's rows rewritten, and the offset at which each row's
    line starts mapped to its row number (the header being row 1)."""
    lines = text.split("\n")
    out: list[str] = []
    rows: dict[int, int] = {}
    offset = 0
    fence: str | None = None
    i = 0

    def emit(line: str, row: int | None = None) -> None:
        nonlocal offset
        if row is not None:
            rows[offset] = row
        out.append(line)
        offset += len(line) + 1

    while i < len(lines):
        line = lines[i]
        if fence is not None:
            fence = None if line.strip().startswith(fence) else fence
            emit(line)
            i += 1
            continue
        if m := _FENCE.match(line):
            fence = m.group(1)
            emit(line)
            i += 1
            continue
        if not _is_table_start(lines, i):
            emit(line)
            i += 1
            continue
        header = _cells(line)
        i += 2
        body: list[list[str]] = []
        while i < len(lines) and "|" in lines[i] and lines[i].strip():
            body.append(_cells(lines[i]))
            i += 1
        width = max([len(header), *(len(r) for r in body)])
        names = column_names(header, width)
        written = [(n, row_text(names, cells)) for n, cells in enumerate(body, 2)]
        written = [(n, t) for n, t in written if t] or [(1, " | ".join(c for c in header if c))]
        written = [(n, t) for n, t in written if t]
        if out and out[-1].strip():
            emit("")
        for k, (number, row) in enumerate(written):
            if k:
                emit("")
            emit(row, number)
        if i < len(lines) and lines[i].strip():
            emit("")
    return "\n".join(out), rows
