"""Scoring each unit as an answer: question terms, expected answer type, rank and context.

Terms are weighted by how rare they are among the retrieved units (a name that occurs in one
sentence tells more than the institute's name that occurs in all of them), and names and
numbers of the question count more. Terms found only in a neighbouring sentence, the section
heading or the list intro count at a discount, so "It brings together ..." can win for a
question about the thing "it" refers to.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from app.extractive.question import AnswerType, QuestionFrame
from app.extractive.spans import find_spans
from app.extractive.terms import content_stems, word_stems, words
from app.extractive.units import Unit

CONTEXT_DISCOUNT = 0.6
ITEMS_DISCOUNT = 0.35
NAME_BOOST = 1.6
TYPE_WEIGHT = 0.25
FOCUS_WEIGHT = 0.15
RANK_WEIGHT = 0.1
DENSE_WEIGHT = 0.1
LIST_COUNT_BONUS = 0.15
SHORT_UNIT_WORDS = 4


@dataclass(frozen=True)
class Scored:
    """A unit's score and the parts it is made of (kept for abstention and debugging)."""

    unit: Unit
    score: float
    overlap: float
    own: float
    typed: float


class TermWeights:
    """Weights of the question's terms, from their rarity among the retrieved units."""

    def __init__(self, frame: QuestionFrame, units: list[Unit], extra: tuple[str, ...] = ()):
        n = len(units) or 1
        df = Counter(t for u in units for t in u.stems)
        self.weights: dict[str, float] = {}
        for term in dict.fromkeys(frame.terms):
            idf = math.log(1 + (n + 1) / (df[term] + 0.5))
            self.weights[term] = idf * (NAME_BOOST if term in frame.names else 1.0)
        for term in dict.fromkeys(extra):
            if term not in self.weights:
                self.weights[term] = 0.5 * math.log(1 + (n + 1) / (df[term] + 0.5))
        self.total = sum(self.weights.values()) or 1.0

    def share(self, stems: frozenset[str] | set[str]) -> float:
        """Weighted share of the question's terms found in ``stems``."""
        return sum(w for t, w in self.weights.items() if t in stems) / self.total


def context_stems(unit: Unit) -> set[str]:
    """Terms of what surrounds a unit: its heading, the sentence before, its list intro."""
    stems: set[str] = set(content_stems(" ".join(unit.passage.heading_path)))
    for other in (unit.heading, unit.previous, unit.list_intro() if unit.is_item else None):
        if other is not None:
            stems |= other.stems
    return stems


def item_stems(unit: Unit) -> set[str]:
    """Terms of the list a unit introduces."""
    return {t for item in unit.list_items() for t in item.stems} if unit.introduces_list else set()


def score_units(frame: QuestionFrame, units: list[Unit], weights: TermWeights) -> list[Scored]:
    """Every non-heading unit with its score, best first (ties by position: deterministic)."""
    scored = []
    for unit in units:
        if unit.kind == "heading":
            continue
        own = weights.share(unit.stems)
        around = context_stems(unit) - unit.stems
        extra = weights.share(around)
        listed = weights.share(item_stems(unit) - unit.stems - around)
        overlap = own + CONTEXT_DISCOUNT * extra + ITEMS_DISCOUNT * listed
        typed = type_match(frame, unit)
        score = overlap + TYPE_WEIGHT * typed + _prior(unit)
        if len(words(unit.text)) < SHORT_UNIT_WORDS and not unit.is_item:
            score *= 0.7
        scored.append(Scored(unit, score, overlap, own, typed))
    scored.sort(key=lambda s: (-s.score, s.unit.index))
    return scored


def _prior(unit: Unit) -> float:
    passage = unit.passage
    dense = passage.dense_score if passage.dense_score is not None else 0.0
    return RANK_WEIGHT / (1 + unit.passage_rank) + DENSE_WEIGHT * max(dense, 0.0)


def type_match(frame: QuestionFrame, unit: Unit) -> float:
    """How well a unit holds the kind of answer asked for: 0 (not at all) to about 1.5."""
    kind = frame.answer_type
    if kind is AnswerType.OTHER:
        return 0.0
    if kind is AnswerType.LIST:
        return _list_match(frame, unit)
    spans = answer_spans(frame, unit.text)
    if not spans:
        return 0.0
    if kind is AnswerType.NUMBER and frame.focus:
        return 1.0 + FOCUS_WEIGHT / TYPE_WEIGHT * max(
            focus_near(frame, unit.text, s) for s in spans
        )
    return 1.0


def _list_match(frame: QuestionFrame, unit: Unit) -> float:
    if unit.introduces_list:
        items = unit.list_items()
        bonus = LIST_COUNT_BONUS / TYPE_WEIGHT if frame.count == len(items) else 0.0
        return 1.0 + bonus
    if unit.is_item:
        return 0.3
    names = find_spans(unit.text, AnswerType.ORGANISATION)
    if len(names) >= 3 or unit.text.count(",") >= 2:
        return 0.7
    return 0.0


def answer_spans(frame: QuestionFrame, text: str) -> list[tuple[int, int]]:
    """Spans of the expected type that do not just repeat the question."""
    question = set(frame.terms)
    kept = []
    for start, end in find_spans(text, frame.answer_type):
        stems = set(content_stems(text[start:end]))
        if stems and stems <= question:
            continue
        kept.append((start, end))
    return kept


def focus_near(frame: QuestionFrame, text: str, span: tuple[int, int], window: int = 5) -> float:
    """Share of the focus noun found in the few words right after a number ("20 IRP ...")."""
    after = words(text[span[1] :])[:window]
    stems = {s for w in after for s in word_stems(w)}
    focus = set(frame.focus)
    return len(focus & stems) / len(focus) if focus else 0.0
