"""Does a passage support a sentence? A cheap, explainable lexical check.

Used to vet an LLM's sentences before they are shown: a sentence is supported by a passage when
a window of one to three consecutive passage sentences holds most of its content words (as
``ingest.text`` splits, folds and stems them), every number it states, every capitalised name
it uses, and any negation it makes.

Known limitation: the check is lexical. A sentence that drops a negation the passage makes
("X is 330 m tall" against "X is not 330 m tall"), or that swaps who did what to whom with the
same words, still counts as supported.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.text.numbers import NUMBER_WORDS, ORDINALS, numeral
from ingest.text.sentences import sentence_spans
from ingest.text.stemming import stem
from ingest.text.stopwords import SOURCE_TALK
from ingest.text.words import IGNORED, words

MIN_COVERAGE = 0.6
"""Share of the sentence's content words the supporting window must contain."""

MAX_WINDOW = 3
"""Most consecutive passage sentences a quote may span."""

WINDOW_PENALTY = 0.25
"""Coverage a quote must gain per extra sentence, so quotes stay as short as they can."""

LEFT_OUT = IGNORED | SOURCE_TALK
"""The words left out of every comparison plus those an LLM uses to talk about its sources."""

NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "cannot", "without"})

NUMBERS = {word: str(value) for word, value in (NUMBER_WORDS | ORDINALS).items()}
"""Number words as the digits they stand for; small ordinals count as their number."""


@dataclass(frozen=True)
class _Terms:
    content: frozenset[str]
    required: frozenset[str]


def _terms(text: str) -> _Terms:
    """The content terms of ``text`` and those a supporting passage must hold: its numbers,
    the names it capitalises after its first word, and a negation as ``<not>``. The parts of
    a compound ("Jean-Pierre", "COVID-19") count one by one."""
    content: set[str] = set()
    required: set[str] = set()
    for i, word in enumerate(words(text)):
        named = word.is_capitalised and i > 0
        for part in word.folded.split("-"):
            if part[:1].isdigit():
                content.add(numeral(part))
                required.add(numeral(part))
                continue
            part = part.removesuffix("'s")
            if part.endswith("n't") or part in NEGATIONS:
                required.add("<not>")
                continue
            if part in NUMBERS:
                content.add(NUMBERS[part])
                required.add(NUMBERS[part])
                continue
            if part in LEFT_OUT or len(part) < 2:
                continue
            term = stem(part)
            content.add(term)
            if named:
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
