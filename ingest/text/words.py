"""Words of questions and sentences, folded so that matching survives case, accents and plurals.

Used where text is compared without a model: rewriting a follow-up question from the chat, and
checking that a passage supports an LLM's sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.text.index_terms import fold as _fold_accents

_WORD = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:[-'’][^\W_]+)*|[^\W_]+")

_INVERSION = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)$")
_ELISION = re.compile(r"(?i:[cdjlmnst]|qu|jusqu|lorsqu)['’](?=\w)")

STOPWORDS = frozenset(
    """
    a an and are as at be been being but by can could did do does doing done for from had has
    have having how i if in into is it its itself of on onto or than that the their theirs them
    then there these they this those to was we were what when where which while who whom whose
    why will with would you your yours he she his her him our us my me also any all about after
    before between both each more most other some such only own same so should through until up
    very not no nor s t just may might must shall one ones many much name named called kind type
    did does say said give given get got make made use used like well there here out off per via
    au aux avec ce ces comment dans de des du elle en est et eux il ils je la le les leur leurs
    lui ma mais me mes moi mon ne nos notre nous ou par pas pour qu que quel quelle quels quelles
    qui sa se ses son sont sur ta te tes toi ton tu un une vos votre vous c d j l m n y ete etait
    quoi dont cette cet combien quand
    """.split()
)

_SUFFIXES = tuple(
    sorted(
        "ization ements ement ments ment ness ingly ings ing edly ed "
        "ives ive ers er ions ion ities ity iques ique ly al aux".split(),
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 3

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


def fold(text: str) -> str:
    """The retriever's fold (no case, no accents), with typographic apostrophes made plain so
    "l’Université" and "l'universite" match."""
    return _fold_accents(text).replace("’", "'")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper (English and French endings); numbers stay as they are."""
    if word.endswith("'s"):
        word = word[:-2]
    if "-" in word:
        return "-".join(stem(part) for part in word.split("-"))
    if not word.isalpha() or len(word) <= _MIN_STEM + 1:
        return word
    word = _singular(word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > _MIN_STEM + 1:
        word = word[:-1]
    return word


def _singular(word: str) -> str:
    """ "countries" -> "country", "focuses" -> "focus", "labs" -> "lab"; "focus" stays."""
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes", "uses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


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
        return self.folded in STOPWORDS

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
        stems.extend(stem(p) for p in parts if len(p) > 1 and p not in STOPWORDS)
    return stems


def content_stems(text: str) -> list[str]:
    """The stems of the words that carry meaning, in order; compounds are also split, so a
    sentence's "lecturer-researchers" matches a question's "researchers"."""
    return [s for word in words(text) if word.is_content for s in word_stems(word)]
