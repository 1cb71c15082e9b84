"""The marker that opens a list item: a bullet, "1." or "2)", or a letter "a." or "B)".

One pattern for every place that tells list items from prose: the text and PDF loaders (a
block's kind), the sentence splitter (a new item starts a new sentence), the extractive reader
(an answer may be a list) and the LLM check (a bullet is kept apart from the sentence it
opens). A capital letter counts only with a parenthesis: "A. Smith" and "I. Introduction"
open prose, not lists.
"""

from __future__ import annotations

import re

BULLETS = "-*+\u2022\u25aa\u25e6\u2023\u2013"
"""Hyphen, asterisk, plus, bullet, small squares and circles, triangular bullet, en dash."""

LIST_ITEM = re.compile(
    rf"[ \t]*(?:[{re.escape(BULLETS)}]|\d{{1,3}}[.)]|[a-z][.)]|[A-Z]\))[ \t]+(?=\S)"
)
"""A list item's marker with the blanks around it, matched at the start of a line; the item's
text starts where the match ends."""
