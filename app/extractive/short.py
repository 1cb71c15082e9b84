"""Cutting the short answer ("20", "January 1, 2016", "Thales") out of the chosen sentences."""

from __future__ import annotations

import re

from app.extractive.question import AnswerType, QuestionFrame
from app.extractive.scoring import answer_spans, focus_near
from app.extractive.terms import word_stems, words
from app.extractive.units import Unit

_TRAILING = ";,.: "
_ENUMERATION_GAP = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s+et\s+)")


def short_answer(frame: QuestionFrame, units: list[Unit]) -> str | None:
    """The span answering a factual or list question, or ``None`` when there is none."""
    if frame.answer_type is AnswerType.LIST:
        return _list_answer(frame, units)
    if not frame.factual:
        return None
    for unit in units:
        spans = answer_spans(frame, unit.text)
        if spans:
            best = max(spans, key=lambda s: (_span_score(frame, unit.text, s), -s[0]))
            return unit.text[best[0] : best[1]].strip(_TRAILING)
    return None


def _span_score(frame: QuestionFrame, text: str, span: tuple[int, int]) -> float:
    """Spans right next to the question's words (and numbers before the focus noun) win."""
    question = set(frame.terms)
    positions = [i for i, w in enumerate(words(text)) if question & set(word_stems(w))]
    sentence_words = words(text)
    index = next((i for i, w in enumerate(sentence_words) if w.end > span[0]), 0)
    distance = min((abs(index - p) for p in positions), default=len(sentence_words))
    score = 1.0 / (1 + distance)
    if frame.answer_type is AnswerType.NUMBER:
        score += 2.0 * focus_near(frame, text, span)
    return score


def _list_answer(frame: QuestionFrame, units: list[Unit]) -> str | None:
    items = [u for u in units if u.is_item]
    if items:
        return "; ".join(_item_label(u.text) for u in items)
    for unit in units:
        enumeration = _enumeration(unit.text, set(frame.terms))
        if enumeration:
            return enumeration
    return None


def _item_label(text: str) -> str:
    return text.strip(_TRAILING)


def _enumeration(text: str, question: set[str]) -> str | None:
    """The longest run of three or more names joined by commas and "and" ("A, B, C and D")."""
    names = [
        s
        for s in answer_spans(QuestionFrame("", AnswerType.ORGANISATION, (), tuple(question)), text)
    ]
    best: tuple[int, int] | None = None
    run_start, count = 0, 0
    for i, (start, end) in enumerate(names):
        joined = i > 0 and _ENUMERATION_GAP.fullmatch(text[names[i - 1][1] : start])
        if joined:
            count += 1
        else:
            run_start, count = start, 1
        if count >= 3 and (best is None or end - run_start > best[1] - best[0]):
            best = (run_start, end)
    return text[best[0] : best[1]] if best else None
