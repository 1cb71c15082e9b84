"""What every loader returns, and the normalisation they all share.

Chunk offsets point into ``ParsedDocument.text``, so that text is fixed once here: NFC, ``\\n``
line ends, plain spaces, no trailing spaces, at most one blank line in a row. Loaders that
rebuild text from pieces (HTML, PDF, Word) go through ``DocumentBuilder``, which computes the
block offsets as it appends, so blocks and text cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table", "table_row", "quote"]

_SPACE_CHARS = "\t\u00a0\u1680\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B))
_NEWLINE_CHARS = "\x0b\x0c\x85\u2028\u2029"
_DROPPED_CHARS = (
    "\u00ad\u200b\u200c\u200d\u2060\ufeff"
    + "".join(chr(c) for c in range(32) if chr(c) not in "\n\r\t\x0b\x0c")
    + "\x7f"
)
_REPLACEMENTS = (
    {c: " " for c in _SPACE_CHARS}
    | {c: "\n" for c in _NEWLINE_CHARS}
    | {c: "" for c in _DROPPED_CHARS}
)
# A regex finds the rare special characters far faster than str.translate walks every one.
_SPECIAL = re.compile("[" + re.escape("".join(_REPLACEMENTS)) + "]")
_BLANK_LINES = re.compile(r"\n{3,}")
_SEPARATORS = re.compile(r"[\s_\-.]+")


@dataclass(frozen=True, slots=True)
class Block:
    """A structural unit of a document: ``text[start:end]`` of the normalised text."""

    start: int
    end: int
    kind: BlockKind
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    row: int | None = None
    """A table row's number in its table or sheet (the header is row 1), as people count it."""
    ocr: bool = False
    """The text was read from an image by OCR, so it may hold misread words."""


@dataclass(frozen=True)
class ParsedDocument:
    """A document's title, normalised text, and its blocks in reading order. ``page_unit``
    names what ``Block.page`` counts ("slide" for a presentation)."""

    title: str
    text: str
    blocks: list[Block] = field(default_factory=list)
    page_unit: str = "page"
    attachments: tuple[tuple[str, bytes], ...] = ()
    """Files carried inside this one (an e-mail's attachments): ``(file name, content)``,
    each indexed as a document of its own."""


def normalise(text: str) -> str:
    """The canonical form of a document's text (see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SPECIAL.search(text):
        text = _SPECIAL.sub(lambda m: _REPLACEMENTS[m.group()], text)
    if " \n" in text:
        text = "\n".join(line.rstrip(" ") for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def humanise(stem: str) -> str:
    """A readable title from a file name: ``my_notes-2024`` -> ``My notes 2024``."""
    words = _SEPARATORS.sub(" ", stem).strip()
    if not words:
        return "Untitled"
    return words[0].upper() + words[1:] if words.islower() else words


class HeadingStack:
    """The titles of the headings above the current point, outermost first."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []
        self.path: tuple[str, ...] = ()

    def enter(self, level: int, title: str) -> tuple[str, ...]:
        self.leave(level)
        self._levels.append((level, title))
        self.path = tuple(t for _, t in self._levels)
        return self.path

    def leave(self, level: int) -> None:
        """Close the headings at ``level`` and below (a table caption, once its table ends)."""
        while self._levels and self._levels[-1][0] >= level:
            self._levels.pop()
        self.path = tuple(t for _, t in self._levels)


class DocumentBuilder:
    """Appends normalised blocks, separated by a blank line, recording their offsets."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []
        self.headings = HeadingStack()
        self.first_heading: tuple[int, str] | None = None

    def add(
        self,
        text: str,
        kind: BlockKind,
        *,
        level: int = 1,
        page: int | None = None,
        row: int | None = None,
        ocr: bool = False,
    ) -> None:
        """Add one block; blank text is ignored. ``level`` matters for headings only."""
        text = normalise(text)
        if not text:
            return
        if kind == "heading":
            title = " ".join(text.split())
            path = self.headings.enter(level, title)
            if self.first_heading is None or level < self.first_heading[0]:
                self.first_heading = (level, title)
        else:
            path = self.headings.path
        if self._length:
            self._parts.append("\n\n")
            self._length += 2
        self._parts.append(text)
        end = self._length + len(text)
        self.blocks.append(Block(self._length, end, kind, path, page, row, ocr))
        self._length = end

    def append(self, document: ParsedDocument) -> None:
        """Add the blocks of another parsed document (a chapter, a mail body), each heading
        at its depth there, below the headings already open here."""
        base = len(self.headings.path)
        for block in document.blocks:
            level = base + len(block.heading_path) if block.kind == "heading" else 1
            text = document.text[block.start : block.end]
            self.add(text, block.kind, level=level, page=block.page, row=block.row, ocr=block.ocr)

    def build(self, title: str, page_unit: str = "page") -> ParsedDocument:
        text = "".join(self._parts)
        return ParsedDocument(title=title, text=text, blocks=self.blocks, page_unit=page_unit)
