"""Citation recall and precision after ALCE (Gao et al. 2023), with an offline support rule.

ALCE asks an NLI model whether cited passages entail a sentence; here "support" is decided
without a model. Cited passages support a sentence when

1. each citation's quote really occurs in its passage (whitespace-insensitive), and
2. every number in the sentence occurs in the passages (after reading number words as
   digits), and at least ``SUPPORT_SHARE`` of its other content words (stemmed, stopwords
   removed) occur in them.

Recall is the share of answer sentences supported by the union of their citations (a sentence
without citations is unsupported). A citation is precise when it supports its sentence alone,
or when the union supports the sentence and stops doing so without it.

The sentence splitting, folding and stemming here are the judge's own (``evals.metrics.text``),
independent of ``ingest.text`` on purpose: the judge must not share the judged system's rules,
or a fault in them would score as a success.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evals.suite.metrics.text import content_words, squash, strip_markers

SUPPORT_SHARE = 0.8
_ENDS = re.compile(r"(?<=[.!?])(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(?=\s|$)|\n+")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|ex|vs|Dr|Mr|Mrs|Ms|St|Prof|No)|\b[A-Z](?:\.[A-Z])*)\.$"
)
_CITED = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Source:
    """What a citation number points to: the passage text and the quote claimed in it."""

    passage: str
    quote: str


@dataclass(frozen=True)
class SentenceScore:
    sentence: str
    cited: tuple[int, ...]
    supported: bool
    precise: tuple[bool, ...]
    """One flag per cited number, in order."""


def answer_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Split an answer into sentences (markers after the full stop stay with their sentence)."""
    pieces, start = [], 0
    for match in _ENDS.finditer(text):
        end = match.end()
        if "\n" not in match.group() and _ABBREVIATION.search(text[start : match.start()]):
            continue
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    out = []
    for piece in pieces:
        cited = tuple(int(n) for group in _CITED.findall(piece) for n in group.split(","))
        sentence = squash(piece.lstrip("-*• \t"))
        if content_words(sentence):
            out.append((sentence, cited))
    return out


def quote_in_passage(source: Source) -> bool:
    return bool(source.quote.strip()) and squash(source.quote) in squash(source.passage)


def supports(sentence: str, sources: Sequence[Source], share: float = SUPPORT_SHARE) -> bool:
    """The offline support rule described in the module docstring."""
    if not sources or not all(quote_in_passage(s) for s in sources):
        return False
    words = content_words(sentence)
    found = set(content_words(" ".join(s.passage for s in sources)))
    numbers = [w for w in words if w.isdigit()]
    others = [w for w in words if not w.isdigit()]
    if not all(n in found for n in numbers):
        return False
    return not others or sum(w in found for w in others) / len(others) >= share


def score_sentence(
    sentence: str, cited: Sequence[int], sources: Mapping[int, Source]
) -> SentenceScore:
    known = [sources[n] for n in cited if n in sources]
    together = len(known) == len(cited) and supports(sentence, known)
    precise = []
    for i, n in enumerate(cited):
        if n not in sources:
            precise.append(False)
            continue
        rest = [sources[m] for j, m in enumerate(cited) if j != i and m in sources]
        alone = supports(sentence, [sources[n]])
        needed = together and not supports(sentence, rest)
        precise.append(alone or needed)
    return SentenceScore(sentence, tuple(cited), together, tuple(precise))


def score_answer(text: str, sources: Mapping[int, Source]) -> list[SentenceScore]:
    """Score every sentence of an answer against the sources its markers name."""
    return [score_sentence(strip_markers(s), cited, sources) for s, cited in answer_sentences(text)]


def citation_recall(scores: Sequence[SentenceScore]) -> float | None:
    return sum(s.supported for s in scores) / len(scores) if scores else None


def citation_precision(scores: Sequence[SentenceScore]) -> float | None:
    flags = [p for s in scores for p in s.precise]
    return sum(flags) / len(flags) if flags else None
