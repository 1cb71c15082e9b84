"""Numbers written as words or as numerals, read the same way wherever text is compared.

A question's "three" matches a passage's "3"; an LLM sentence's "1,200" matches "1200".
"""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "million": 10**6,
    "billion": 10**9,
    "dozen": 12,
    "un": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "cent": 100,
    "mille": 1000,
}
"""Folded English and French number words and the value each names."""

ORDINALS = {"first": 1, "second": 2, "third": 3}
"""Small ordinals, which a sentence may use for the number a passage writes ("the third")."""

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def numeral(token: str) -> str:
    """A numeral as compared: thousands separators and a trailing percent sign dropped
    ("1,200" -> "1200", "45%" -> "45"); decimals stay as written."""
    token = token.removesuffix("%")
    if _THOUSANDS.fullmatch(token):
        return token.replace(",", "")
    return token
