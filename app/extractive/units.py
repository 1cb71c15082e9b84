"""The sentences of retrieved passages, with the structure around them.

A sentence alone is often not enough: a list item needs the sentence that introduces the
list, "It brings together ..." needs the sentence before it, and a name may only appear in
the section heading. Units keep that context so scoring and composition can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.extractive.terms import content_stems
from ingest.sentences import sentence_spans
from retriever.passage import Passage

_ITEM_MARKER = re.compile(r"(?:[-*+\u2022\u25aa\u25e6\u2023\u2013]|\d{1,3}[.)]|[a-z][.)])[ ]+")
_HEADING_MARKER = re.compile(r"#{1,6}[ ]+")
_QUOTE_MARKER = re.compile(r"(?:>[ ]?)+")


@dataclass
class Unit:
    """One sentence, list item or heading of a passage; offsets are into ``passage.text``."""

    passage_rank: int
    passage: Passage
    start: int
    end: int
    kind: str
    stems: frozenset[str]
    index: int = 0
    previous: Unit | None = field(default=None, repr=False)
    next: Unit | None = field(default=None, repr=False)
    heading: Unit | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]

    @property
    def is_item(self) -> bool:
        return self.kind == "item"

    @property
    def introduces_list(self) -> bool:
        return self.kind == "sentence" and self.next is not None and self.next.is_item

    def list_items(self) -> list[Unit]:
        """The items that follow this unit, until the list ends."""
        items = []
        unit = self.next
        while unit is not None and unit.is_item:
            items.append(unit)
            unit = unit.next
        return items

    def list_intro(self) -> Unit | None:
        """The sentence that introduces the list this item belongs to."""
        unit = self.previous
        while unit is not None and unit.is_item:
            unit = unit.previous
        return unit if unit is not None and unit.kind == "sentence" else None


def passage_units(passages: list[Passage]) -> list[Unit]:
    """Every unit of every passage, linked to its neighbours within the passage."""
    units: list[Unit] = []
    for rank, passage in enumerate(passages):
        heading: Unit | None = None
        previous: Unit | None = None
        for start, end in sentence_spans(passage.text):
            unit = _make_unit(rank, passage, start, end)
            if unit is None:
                continue
            unit.index = len(units)
            if unit.kind == "heading":
                heading = unit
            else:
                unit.heading = heading
            if previous is not None and _same_block(passage.text, previous, unit):
                previous.next = unit
                unit.previous = previous
            previous = unit
            units.append(unit)
    return units


def _make_unit(rank: int, passage: Passage, start: int, end: int) -> Unit | None:
    text = passage.text
    line_start = text.rfind("\n", 0, start) + 1
    at_line_start = not text[line_start:start].strip()
    kind = "sentence"
    if at_line_start:
        if marker := _HEADING_MARKER.match(text, start):
            kind, start = "heading", marker.end()
        elif marker := _QUOTE_MARKER.match(text, start):
            start = marker.end()
        if marker := _ITEM_MARKER.match(text, start):
            kind, start = "item", marker.end()
        elif kind == "sentence" and _looks_like_heading(text, start, end, passage):
            kind = "heading"
    while start < end and text[start].isspace():
        start += 1
    if start >= end:
        return None
    return Unit(rank, passage, start, end, kind, frozenset(content_stems(text[start:end])))


def _looks_like_heading(text: str, start: int, end: int, passage: Passage) -> bool:
    """A line that is one of the passage's headings (some loaders drop the ``#`` marks)."""
    line = text[start:end].strip()
    return line in passage.heading_path


def _same_block(text: str, previous: Unit, unit: Unit) -> bool:
    """Neighbours are linked unless a heading separates them."""
    return previous.kind != "heading" and unit.kind != "heading" and previous.end <= unit.start
