"""Structure-aware chunking: sections, paragraphs and sentences are kept whole.

A chunk is a span of the document's normalised text, so ``text[start:end]`` is the chunk.
Blocks that fit are packed whole; a block bigger than a chunk is cut between sentences, and
only a sentence bigger than a chunk is cut between words. A heading closes the chunk before
it, so a section's title travels with its content. A table row is a chunk of its own (with the
heading or caption before it, if any; up to ``MAX_ROWS_ALONE`` rows): it names its columns, so
it stands alone, and the reader picks the right row far more often reading rows one by one
than a block of them (5 of 5 questions on test tables against 1 of 5).
Overlap repeats whole sentences of the same section only: overlap across a heading would be
embedded and stored for nothing; rows get none.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.loaders import Block, ParsedDocument
from ingest.records import Chunk, Place
from ingest.text.sentences import sentence_spans

MAX_ROWS_ALONE = 200
"""Tables up to this many rows get a chunk per row; a longer one's rows are packed like
sentences (a 100,000-row sheet as one-row chunks would take half an hour to embed here)."""

CHUNKER_VERSION = 1
"""Bump when the same document and settings would be cut differently: indexes built by an
older chunker then need --rebuild (the store records this with the index settings)."""

_WORD_END = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class _Unit:
    """The smallest piece the packer moves: a whole block, a sentence, or a word run."""

    start: int
    end: int
    block: int


class _Sentences:
    """Sentence spans of blocks, computed once per block and only when needed."""

    def __init__(self, text: str, blocks: list[Block]) -> None:
        self._text = text
        self._blocks = blocks
        self._cache: dict[int, tuple[list[tuple[int, int]], list[int]]] = {}

    def _entry(self, index: int) -> tuple[list[tuple[int, int]], list[int]]:
        entry = self._cache.get(index)
        if entry is None:
            block = self._blocks[index]
            spans = sentence_spans(self._text, block.start, block.end)
            entry = self._cache[index] = (spans, [end for _, end in spans])
        return entry

    def of(self, index: int) -> list[tuple[int, int]]:
        return self._entry(index)[0]

    def ending_by(self, index: int, offset: int) -> Iterator[tuple[int, int]]:
        """The block's sentences that end at or before ``offset``, last first."""
        spans, ends = self._entry(index)
        for i in range(bisect.bisect_right(ends, offset) - 1, -1, -1):
            yield spans[i]


def _word_runs(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut an oversized sentence into runs of whole words (hard cuts for giant words)."""
    runs: list[tuple[int, int]] = []
    run_start = run_end = -1
    for m in _WORD_END.finditer(text, start, end):
        w_start, w_end = m.span()
        while w_end - w_start > size:
            if run_start >= 0:
                runs.append((run_start, run_end))
                run_start = -1
            runs.append((w_start, w_start + size))
            w_start += size
        if run_start >= 0 and w_end - run_start <= size:
            run_end = w_end
            continue
        if run_start >= 0:
            runs.append((run_start, run_end))
        run_start, run_end = w_start, w_end
    if run_start >= 0:
        runs.append((run_start, run_end))
    return runs


def _sentence_units(
    doc: ParsedDocument, sentences: _Sentences, index: int, size: int
) -> list[_Unit]:
    """A block as sentences, and any sentence bigger than ``size`` as runs of words."""
    units: list[_Unit] = []
    for s_start, s_end in sentences.of(index):
        if s_end - s_start <= size:
            units.append(_Unit(s_start, s_end, index))
        else:
            runs = _word_runs(doc.text, s_start, s_end, size)
            units.extend(_Unit(a, b, index) for a, b in runs)
    return units


def _units(doc: ParsedDocument, sentences: _Sentences, size: int) -> list[_Unit]:
    """Whole blocks where they fit, sentences of the others."""
    units: list[_Unit] = []
    for index, block in enumerate(doc.blocks):
        if block.end - block.start <= size:
            units.append(_Unit(block.start, block.end, index))
        else:
            units.extend(_sentence_units(doc, sentences, index, size))
    return units


def _overlap_start(
    doc: ParsedDocument, sentences: _Sentences, chunk: list[_Unit], budget: int
) -> int | None:
    """Start of the whole sentences ending ``chunk`` that fit in ``budget`` characters.

    None when not even the last sentence fits, when the chunk ends inside a sentence, or
    when only a heading precedes: a repeated heading line is not worth embedding twice.
    """
    chunk_start, chunk_end = chunk[0].start, chunk[-1].end
    best = None
    seen: set[int] = set()
    for unit in reversed(chunk):
        if unit.block in seen:
            continue
        seen.add(unit.block)
        if doc.blocks[unit.block].kind == "heading":
            return best
        for s_start, s_end in sentences.ending_by(unit.block, chunk_end):
            if best is None and s_end != chunk_end:
                return None
            if s_start <= chunk_start or chunk_end - s_start > budget:
                return best
            best = s_start
    return best


def _rows_alone(blocks: list[Block]) -> set[int]:
    """Indexes of the row blocks that are chunks of their own: those of tables of at most
    ``MAX_ROWS_ALONE`` rows (rows of a table are consecutive ``table_row`` blocks)."""
    alone: set[int] = set()
    run: list[int] = []
    for index, block in enumerate([*blocks, None]):
        if block is not None and block.kind == "table_row":
            run.append(index)
            continue
        if run and len(run) <= MAX_ROWS_ALONE:
            alone.update(run)
        run = []
    return alone


def chunk_document(
    doc: ParsedDocument, doc_id: str, source: str, chunk_size: int, overlap: int
) -> list[Chunk]:
    """Chunks of at most ``chunk_size`` characters, in document order, indexed from 0."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    overlap = max(0, min(overlap, chunk_size // 2))
    sentences = _Sentences(doc.text, doc.blocks)
    spans: list[tuple[int, int]] = []
    current: list[_Unit] = []
    has_content = False
    pending = _units(doc, sentences, chunk_size)[::-1]
    alone = _rows_alone(doc.blocks)
    while pending:
        unit = pending.pop()
        block = doc.blocks[unit.block]
        is_heading = block.kind == "heading"
        too_big = unit.end - current[0].start > chunk_size if current else False
        whole_block = unit.start == block.start and unit.end == block.end
        if too_big and not has_content and not is_heading and whole_block:
            parts = _sentence_units(doc, sentences, unit.block, chunk_size)
            if len(parts) > 1:
                # Rather than leave a heading alone in a chunk, start its block beside it.
                pending.extend(reversed(parts))
                continue
        row_edge = (
            has_content
            and unit.block != current[-1].block
            and (unit.block in alone or current[-1].block in alone)
        )
        if current and ((is_heading and has_content) or too_big or row_edge):
            spans.append((current[0].start, current[-1].end))
            start = None
            same_section = doc.blocks[current[-1].block].heading_path == block.heading_path
            if not is_heading and same_section and has_content and not row_edge:
                budget = min(overlap, chunk_size - (unit.end - current[-1].end))
                start = _overlap_start(doc, sentences, current, budget)
            if start is None:
                current, has_content = [], False
            else:
                first = bisect.bisect_right([u.start for u in current], start) - 1
                kept = current[first:]
                current = [_Unit(start, kept[0].end, kept[0].block), *kept[1:]]
                has_content = True
        current.append(unit)
        has_content = has_content or not is_heading
    if current:
        spans.append((current[0].start, current[-1].end))
    return _chunks(doc, spans, doc_id, source)


def _chunks(
    doc: ParsedDocument, spans: list[tuple[int, int]], doc_id: str, source: str
) -> list[Chunk]:
    """Chunk records; a chunk opening with nested headings gets the deepest heading path."""
    starts = [b.start for b in doc.blocks]
    chunks = []
    for index, (start, end) in enumerate(spans):
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        path_block = first
        while (
            doc.blocks[path_block].kind == "heading"
            and path_block + 1 < len(doc.blocks)
            and doc.blocks[path_block + 1].kind == "heading"
            and doc.blocks[path_block + 1].start < end
        ):
            path_block += 1
        chunks.append(
            Chunk(
                doc_id=doc_id,
                index=index,
                text=doc.text[start:end],
                start=start,
                end=end,
                title=doc.title,
                source=source,
                heading_path=doc.blocks[path_block].heading_path,
                page=doc.blocks[first].page,
                places=_places(doc.blocks, first, start, end),
                page_unit=doc.page_unit,
            )
        )
    return chunks


def _places(blocks: list[Block], first: int, start: int, end: int) -> tuple[Place, ...]:
    """Where the parts of ``text[start:end]`` come from (see ``Chunk.places``); none when the
    whole span is plain text of one page, which is what ``Chunk.page`` already says."""
    places: list[Place] = []
    index = first
    while index < len(blocks) and blocks[index].start < end:
        block = blocks[index]
        place = Place(max(block.start, start), block.page, block.row, block.ocr)
        last = places[-1] if places else None
        if last is None or (last.page, last.row, last.ocr) != (place.page, place.row, place.ocr):
            places.append(place)
        index += 1
    if len(places) == 1 and places[0].row is None and not places[0].ocr:
        return ()
    return tuple(places)
