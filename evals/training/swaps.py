"""Unanswerable questions made by swapping a name or number of the question for another one.

SQuAD 2.0's unanswerable questions were written against a paragraph that almost answers them;
the largest kind swaps an entity or a number for one the paragraph does not mention. The
training data holds only a few hundred such questions, so the reader learned to refuse a
paragraph about something else, not a paragraph about nearly the right thing. Swapping a
capitalised name or a number that the question shares with its paragraph for one drawn from
other text (and absent from the paragraph) makes that kind of question from any answerable one,
with its label known: the paragraph no longer says anything about the new name.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from enum import Enum

_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


class Kind(Enum):
    """What a swapped phrase is: a capitalised name, or a number."""

    NAME = _NAME
    NUMBER = _NUMBER


def phrases(text: str, kind: Kind) -> list[str]:
    """The names (capitalised runs not opening a sentence) or the numbers of a text."""
    found = []
    for match in kind.value.finditer(text):
        opening = match.start() == 0 or text[: match.start()].rstrip().endswith((".", "?", "!"))
        if kind is Kind.NAME and opening:
            continue
        found.append(match.group())
    return found


def swapped_question(
    question: str, context: str, donors: Iterable[str], rng: random.Random
) -> str | None:
    """The question with one of its names or numbers that its context mentions replaced by a
    phrase of the same kind from ``donors`` that the context does not mention; None if the
    question has no such phrase or no donor offers a replacement."""
    lowered = context.lower()
    donor_texts = list(donors)
    kinds = list(Kind)
    rng.shuffle(kinds)
    for kind in kinds:
        own = [p for p in phrases(question, kind) if p in context]
        if not own:
            continue
        replacements = sorted(
            {
                p
                for text in donor_texts
                for p in phrases(text, kind)
                if p.lower() not in lowered and p.lower() not in question.lower()
            }
        )
        if replacements:
            target = rng.choice(own)
            alike = [p for p in replacements if len(p.split()) == len(target.split())]
            return question.replace(target, rng.choice(alike or replacements), 1)
    return None
