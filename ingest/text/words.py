"""Words of questions and sentences with their offsets, folded and stemmed for comparison.

Used where text is compared word by word without a model: rewriting a follow-up question from
the chat, checking that a passage supports an LLM's sentence, and the reader's calibration.
A word keeps its compound whole ("lecturer-researchers") and drops a French elision ("l'").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.text import stemming
from ingest.text.folding import fold
from ingest.text.numbers import NUMBER_WORDS
from ingest.text.stopwords import STOPWORDS, WORDING

_WORD = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:[-'’][^\W_]+)*|[^\W_]+")

_INVERSION = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)$")
_ELISION = re.compile(r"(?i:[cdjlmnst]|qu|jusqu|lorsqu)['’](?=\w)")

IGNORED = STOPWORDS | WORDING
"""Words that say nothing about what a question or a sentence is about."""


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of a folded word of a text: possessive dropped, each part of a compound
    stemmed ("lecturer-researchers" -> "lectur-research")."""
    word = word.removesuffix("'s")
    if "-" in word:
        return "-".join(stemming.stem(part) for part in word.split("-"))
    return stemming.stem(word)


@dataclass(frozen=True)
class Word:
    """One word of a text with its offsets, its comparable form and its shape."""

    text: str
    start: int
    end: int
    folded: str
    stem: str

    @property
    def is_capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def is_number(self) -> bool:
        return self.text[:1].isdigit() or self.folded in NUMBER_WORDS

    @property
    def is_stopword(self) -> bool:
        return self.folded in IGNORED

    @property
    def is_content(self) -> bool:
        if self.is_stopword or _INVERSION.search(self.folded):
            return False
        return len(self.folded) > 1 or self.text.isdigit()


def words(text: str) -> list[Word]:
    """Every word of ``text`` in order, with offsets into ``text``."""
    found = []
    for match in _WORD.finditer(text):
        start = match.start()
        if elision := _ELISION.match(match.group()):
            start += elision.end()
        word = text[start : match.end()]
        folded = fold(word)
        found.append(Word(word, start, match.end(), folded, stem(folded)))
    return found


def word_stems(word: Word) -> list[str]:
    """The stems a word matches on: its own and, for a compound, those of its parts."""
    stems = [word.stem]
    parts = re.split(r"[-']", word.folded)
    if len(parts) > 1:
        stems.extend(stem(p) for p in parts if len(p) > 1 and p not in IGNORED)
    return stems


def content_stems(text: str) -> list[str]:
    """The stems of the words that carry meaning, in order; compounds are also split, so a
    sentence's "lecturer-researchers" matches a question's "researchers"."""
    return [s for word in words(text) if word.is_content for s in word_stems(word)]
