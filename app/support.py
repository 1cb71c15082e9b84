"""Does a passage support a sentence? A cheap, explainable lexical check.

Used to vet an LLM's sentences before they are shown: a sentence is supported by a passage when
a window of one to three consecutive passage sentences holds most of its content words (folded
and stemmed as ``ingest.text.words`` does), every number it states, every capitalised name it
uses, and any negation it makes.

Known limitation: the check is lexical. A sentence that drops a negation the passage makes
("X is 330 m tall" against "X is not 330 m tall"), or that swaps who did what to whom with the
same words, still counts as supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import words as terms
from ingest.text.sentences import sentence_spans
from ingest.text.words import fold, stem

MIN_COVERAGE = 0.6
"""Share of the sentence's content words the supporting window must contain."""

MAX_WINDOW = 3
"""Most consecutive passage sentences a quote may span."""

WINDOW_PENALTY = 0.25
"""Coverage a quote must gain per extra sentence, so quotes stay as short as they can."""

STOPWORDS = terms.STOPWORDS | frozenset(
    """
    above according again against am answer based because below document documents down during
    few further hers herself himself known myself once one's ours ourselves over passage passages
    question says states text themselves too under yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
"""The answerer's stopwords plus the words an LLM uses to talk about its sources."""

NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "cannot", "without"})

NUMBER_WORDS = {word: str(value) for word, value in terms.NUMBER_WORDS.items()} | {
    "first": "1", "second": "2", "third": "3",
}  # fmt: skip
"""Number words as the digits they stand for; small ordinals count as their number."""

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class _Terms:
    content: frozenset[str]
    required: frozenset[str]


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
