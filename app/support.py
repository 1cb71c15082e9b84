"""Does a passage support a sentence? A cheap, explainable lexical check.

Used to vet an LLM's sentences before they are shown: a sentence is supported by a passage when
a window of one to three consecutive passage sentences holds most of its content words (compared
after folding case and accents and stripping common English suffixes), every number it states,
every capitalised name it uses, and any negation it makes.

Known limitation: the check is lexical. A sentence that drops a negation the passage makes
("X is 330 m tall" against "X is not 330 m tall"), or that swaps who did what to whom with the
same words, still counts as supported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.sentences import sentence_spans

MIN_COVERAGE = 0.6
"""Share of the sentence's content words the supporting window must contain."""

MAX_WINDOW = 3
"""Most consecutive passage sentences a quote may span."""

WINDOW_PENALTY = 0.25
"""Coverage a quote must gain per extra sentence, so quotes stay as short as they can."""

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves according based called known one's
    passage passages answer question document documents text states say says said"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "cannot", "without"})

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "first": "1", "second": "2", "third": "3",
}  # fmt: skip

SUFFIXES = (
    ("ational", "ate"), ("ations", "ate"), ("ation", "ate"), ("ingly", ""), ("edly", ""),
    ("ments", ""), ("ment", ""), ("ness", ""), ("ities", ""), ("ity", ""), ("ies", "y"),
    ("ied", "y"), ("ing", ""), ("ers", ""), ("er", ""), ("ed", ""), ("es", ""), ("ly", ""),
    ("al", ""), ("s", ""),
)  # fmt: skip

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class _Terms:
    content: frozenset[str]
    required: frozenset[str]


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, so "Université" matches "universite"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """Strip one common English suffix; crude, but applied identically to both sides."""
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def _number(token: str) -> str:
    """Normalise a numeral: drop thousands separators ("1,200" -> "1200")."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", token):
        return token.replace(",", "")
    return token


def _terms(text: str) -> _Terms:
    content: set[str] = set()
    required: set[str] = set()
    for i, match in enumerate(_WORD.finditer(text)):
        raw = match.group()
        word = fold(raw)
        if word[0].isdigit():
            term = _number(word)
            content.add(term)
            required.add(term)
            continue
        word = word.removesuffix("'s")
        if word.endswith("n't") or word in NEGATIONS:
            required.add("<not>")
            continue
        if word in NUMBER_WORDS:
            content.add(NUMBER_WORDS[word])
            required.add(NUMBER_WORDS[word])
            continue
        if word in STOPWORDS or len(word) < 2:
            continue
        term = stem(word)
        content.add(term)
        if raw[0].isupper() and i > 0:
            required.add(term)
    return _Terms(frozenset(content), frozenset(required))


def _window_terms(text: str) -> frozenset[str]:
    """Every term a window offers: content words, numbers, and negation if it negates."""
    terms = _terms(text)
    return terms.content | terms.required


def supporting_quote(sentence: str, passage_text: str) -> str | None:
    """The run of passage sentences that best supports ``sentence`` (short ones first), or None.

    The result is always an exact substring of ``passage_text``.
    """
    claim = _terms(sentence)
    if not claim.content:
        return None
    needed = min(2, len(claim.content))
    spans = sentence_spans(passage_text)
    offered = [_window_terms(passage_text[s:e]) for s, e in spans]
    best: tuple[float, int, int] | None = None
    for size in range(1, MAX_WINDOW + 1):
        for i in range(len(spans) - size + 1):
            window = frozenset().union(*offered[i : i + size])
            if not claim.required <= window:
                continue
            matched = len(claim.content & window)
            coverage = matched / len(claim.content)
            score = coverage - WINDOW_PENALTY * (size - 1)
            if matched >= needed and coverage >= MIN_COVERAGE and (best is None or score > best[0]):
                best = (score, i, i + size)
    if best is None:
        return None
    _, first, last = best
    return passage_text[spans[first][0] : spans[last - 1][1]]
