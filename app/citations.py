"""The citation marker ``[n]``: the one place that writes it and parses it.

Answers carry markers that resolve to their numbered sources. Models write them loosely
("[1, 2]", "[passage 3]", "[1-2]"), so parsing accepts those forms; writing always gives the
canonical ``[n]`` placed before a sentence's final punctuation mark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_NUMBER_LIST = r"\d+(?:\s*(?:,|;|and|-|–)\s*\d+)*"
MARKER = re.compile(rf"\[(?:(?:passages?|sources?|ref)\s*)?({_NUMBER_LIST})\]", re.IGNORECASE)
"""A marker as written by us or by a model; group 1 is the list of numbers."""
_SPACED_MARKER = re.compile(rf"\s*{MARKER.pattern}", re.IGNORECASE)
_END_PUNCTUATION = ".!?;:,"


def marker(numbers: int | Iterable[int]) -> str:
    """``[n]`` for each number, e.g. ``[1][3]``."""
    if isinstance(numbers, int):
        numbers = (numbers,)
    return "".join(f"[{n}]" for n in numbers)


def mark(sentence: str, numbers: int | Iterable[int]) -> str:
    """``sentence`` with its markers before its final punctuation mark (added if missing)."""
    sentence = sentence.rstrip()
    if sentence and sentence[-1] in _END_PUNCTUATION:
        return f"{sentence[:-1].rstrip()} {marker(numbers)}{sentence[-1]}"
    return f"{sentence} {marker(numbers)}."


def numbers_in(marker_text: str) -> list[int]:
    """The numbers one marker's group lists ("1, 2" -> [1, 2])."""
    return [int(n) for n in re.findall(r"\d+", marker_text)]


def cited(text: str) -> list[int]:
    """Every number cited in ``text``, in order."""
    return [n for match in MARKER.finditer(text) for n in numbers_in(match.group(1))]


def strip_markers(text: str) -> str:
    """``text`` without its markers (and the space before each)."""
    return _SPACED_MARKER.sub("", text)


def replace_markers(text: str, replace: Callable[[list[int], str], str]) -> str:
    """``text`` with each marker replaced by ``replace(numbers, marker_as_written)``."""
    return MARKER.sub(lambda m: replace(numbers_in(m.group(1)), m.group(0)), text)
