"""File names and document ids as they appear in one-line messages.

A name may hold a newline, a control character or bytes that are not UTF-8: printed as it is,
it would split its report line in two or fail to print at all. Such a name is shown quoted,
with those characters escaped (``'bad\\xffbyte.txt'``, ``'two\\nlines.txt'``); plain names are
shown as they are, so the common case reads naturally.
"""

from __future__ import annotations

_UNDECODED = range(0xDC80, 0xDD00)
"""Python decodes a byte that is not UTF-8 in a file name as a lone surrogate in this range."""


def _escaped(char: str) -> str:
    if ord(char) in _UNDECODED:
        return f"\\x{ord(char) - 0xDC00:02x}"
    if char in "'\\":
        return "\\" + char
    if char.isprintable():
        return char
    return char.encode("unicode_escape").decode("ascii")


def quoted(name: str) -> str:
    """``name`` in quotes, any character that would not print on one line escaped."""
    return "'" + "".join(_escaped(c) for c in name) + "'"


def shown(name: str) -> str:
    """``name`` unchanged if it prints on one line as it is, else :func:`quoted`."""
    return name if name.isprintable() else quoted(name)


def counted(number: int, noun: str) -> str:
    """``1 chunk``, ``2 chunks``: a count with its noun in the right number."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
