"""Sentence boundaries as character offsets, with regular expressions only.

The chunker calls this on every large block and for every overlap, so it must stay fast and
linear: no model, no tokenizer. The rules favour *not* cutting when in doubt (an abbreviation,
an initial, a number), because a missed boundary only makes a chunk slightly less tidy, while
a false one cuts a sentence in two.
"""

from __future__ import annotations

import re

from ingest.text.lists import LIST_ITEM

# End punctuation, then closing quotes/brackets, then whitespace or the end of the range.
_END = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d\u00bb)\]]*(?=\s|$)")
_NEWLINES = re.compile(r"\n(?:[ ]*\n)*")
_BLOCK_MARKER = re.compile(r"[ ]*(?:#{1,6}[ ]|>|\|)")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")
_OPENERS = "([{\"'\u2018\u201c\u00ab"
_CLOSERS = "\"'\u2019\u201d\u00bb)]"
_TERMINAL = ".!?\u2026:" + _CLOSERS

# Words that, followed by a period, never end a sentence (compared in lower case) ...
_ABBREVIATION_LINES = (
    "e.g eg i.e ie cf vs viz al approx resp incl excl esp",
    "dr mr mrs ms mme mlle prof st sr jr mt gen col lt sgt capt rev hon sen gov pres",
    "inc ltd co corp dept univ assn bros a.m p.m ph.d u.s u.k u.n e.u",
)
# ... and words that do not end one when a number follows ("Fig. 3", "No. 5", "pp. 12").
_NUMBERED_LINES = (
    "fig figs no nos vol vols p pp ch chap sec sect eq eqs art ref refs para op ca ed eds",
    "jan feb mar apr jun jul aug sep sept oct nov dec",
)
ABBREVIATIONS = frozenset(word for line in _ABBREVIATION_LINES for word in line.split())
NUMBERED_ABBREVIATIONS = frozenset(word for line in _NUMBERED_LINES for word in line.split())


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _breaks_line(text: str, line_start: int, line_end: int, next_start: int) -> bool:
    """Whether a single newline between two lines ends a sentence.

    A line with no end punctuation (a heading, a list item, a caption) stands alone; a
    hard-wrapped line continues when the next line starts in lower case.
    """
    if LIST_ITEM.match(text, next_start) or _BLOCK_MARKER.match(text, next_start):
        return True
    if _BLOCK_MARKER.match(text, line_start):
        return True
    last = text[line_end - 1]
    if last in _TERMINAL:
        return True
    return last not in ",;-(" and not text[next_start].islower()


def _ends_sentence(text: str, seg_start: int, m: re.Match[str], next_char: str) -> bool:
    """Whether the punctuation matched by ``m`` ends a sentence."""
    if next_char.islower() or next_char in ",;:":
        return False
    if text[m.start() : m.end()].rstrip(_CLOSERS) != ".":
        return True
    word_start = text.rfind(" ", seg_start, m.start()) + 1
    if word_start == 0:
        word_start = seg_start
    word = text[word_start : m.start()].lstrip(_OPENERS)
    if not word:
        return True
    lowered = word.lower()
    if lowered in ABBREVIATIONS or _INITIALS.fullmatch(word):
        return False
    if lowered in NUMBERED_ABBREVIATIONS and (next_char.isdigit() or next_char in "(["):
        return False
    # "1. Item" at the start of a line is a list marker, not the end of a sentence.
    return not (word.isdigit() and _starts_line(text, word_start))


def _starts_line(text: str, pos: int) -> bool:
    """Whether only indentation precedes ``pos`` on its line (cost: the indentation only)."""
    while pos > 0 and text[pos - 1] == " ":
        pos -= 1
    return pos == 0 or text[pos - 1] == "\n"


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` at paragraph breaks and at newlines that end a line's sentence."""
    segments = []
    seg_start = start
    line_start = _line_start(text, start)
    for m in _NEWLINES.finditer(text, start, end):
        line_end = m.start()
        next_start = m.end()
        while next_start < end and text[next_start] == " ":
            next_start += 1
        if next_start >= end:
            break
        if line_end > line_start and (
            m.end() - m.start() > 1 or _breaks_line(text, line_start, line_end, next_start)
        ):
            segments.append((seg_start, line_end))
            seg_start = next_start
        line_start = m.end()
    segments.append((seg_start, end))
    return segments


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets ``(start, end)`` of the sentences of ``text[start:end]``, whitespace trimmed.

    Never returns an empty span; spans are in order and do not overlap.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for seg_start, seg_end in _segments(text, start, end):
        pos = seg_start
        for m in _END.finditer(text, seg_start, seg_end):
            cut = m.end()
            nxt = cut
            while nxt < seg_end and text[nxt].isspace():
                nxt += 1
            if nxt >= seg_end:
                break
            if _ends_sentence(text, seg_start, m, text[nxt]):
                _add(text, spans, pos, cut)
                pos = nxt
        _add(text, spans, pos, seg_end)
    return spans


def _add(text: str, spans: list[tuple[int, int]], start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
