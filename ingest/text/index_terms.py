"""Turning text into the terms the lexical index matches on.

Matching has to survive what embeddings miss: codes and numbers ("H2020", "ElyT-MaX", "2016"),
accents typed or not, and questions in another language than the corpus that share only
names and numbers with it. So terms are accent-free and case-folded, compounds are kept whole
and split into parts, and words are folded by a light suffix stripper that works for English
and French alike. Pairs of neighbouring terms are indexed too, so a passage naming "steam
engine" outranks one that merely says "steam" and "engine" apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_COMPOUND = re.compile(r"[^\W_]+(?:[-./][^\W_]+)*")
_PART = re.compile(r"[^\W\d_]+|\d+")

STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have how i if in
    into is it its of on or over than that the their them then there these they this those to
    under was we were what when where which while who whom whose why will with would you your
    about also any after before between both each more most other some such only own same so
    should through until up very s t
    au aux avec ce ces comment dans de des du elle en est et eux il ils je la le les leur leurs
    lui ma mais me meme mes moi mon ne nos notre nous ou par pas pour qu que quel quelle quels
    quelles qui sa se ses son sont sur ta te tes toi ton tu un une vos votre vous c d j l m n
    y ete etait sont quoi dont cette cet
    """.split()  # noqa: SIM905 - a word list reads better as prose
)

# Longest first; each needs a stem of at least _MIN_STEM letters left. English and French
# inflections share enough endings that one list serves both.
_SUFFIXES = tuple(
    sorted(
        """
        ational ization ements ement ation ities ations ments ment ness ingly
        ings ing edly ed ies ives ive ises ise izes ize ees ers er eurs eur euses euse ions ion
        ity ies iques ique ites ite es s e ly al aux
        """.split(),  # noqa: SIM905
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 4


def fold(text: str) -> str:
    """Case-folded text without accents: "Évaluation" and "evaluation" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A cheap suffix-stripping stem; numbers and short words are left as they are."""
    if not word.isalpha() or len(word) <= _MIN_STEM:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Index terms of ``text``, in order, repeats kept (BM25 counts them)."""
    terms: list[str] = []
    for match in _COMPOUND.finditer(fold(text)):
        whole = match.group()
        pieces = _PART.findall(whole)
        if len(pieces) > 1:
            terms.append(whole)
            terms.extend(stem(p) for p in pieces if _keep_part(p))
        elif whole not in STOPWORDS:
            terms.append(stem(whole))
    return terms


def index_terms(text: str) -> list[str]:
    """The terms of ``text`` followed by each pair of neighbouring terms."""
    terms = tokenize(text)
    return terms + [f"{a} {b}" for a, b in zip(terms, terms[1:], strict=False)]


def _keep_part(piece: str) -> bool:
    return piece.isdigit() or (len(piece) > 1 and piece not in STOPWORDS)
