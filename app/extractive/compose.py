"""Choosing the sentences of an answer and writing them out with citation markers.

An answer is one to three sentences, or a list intro with its items, each followed by ``[n]``.
Numbers follow the order of first appearance and one passage keeps one number; its quote is the
exact stretch of the passage that covers every sentence cited from it.
"""

from __future__ import annotations

import re

from app.answer import Citation
from app.extractive.question import AnswerType, QuestionFrame
from app.extractive.scoring import Scored, answer_spans
from app.extractive.units import Unit
from retriever.passage import Passage

MAX_SENTENCES = 3
EXTRA_SENTENCE_RATIO = 0.85
_PRONOUN_START = re.compile(r"(?:It|Its|They|Their|This|These|Those|He|She|His|Her|Il|Elle|Ils)\b")
_END_PUNCTUATION = ".!?;:,"


def choose_units(frame: QuestionFrame, scored: list[Scored]) -> list[Unit]:
    """The units of the answer, in the order they are shown."""
    best = scored[0].unit
    if frame.among:
        best = next((s.unit for s in scored[:3] if s.unit.is_item or s.unit.introduces_list), best)
    about_one_item = best.is_item and bool(frame.names & best.stems) and not frame.among
    if frame.answer_type is AnswerType.LIST and not about_one_item:
        intro = best.list_intro() if best.is_item else best
        if intro is not None and intro.introduces_list:
            return [intro, *intro.list_items()]
    chosen = _with_context(frame, best)
    count = len(chosen)
    for candidate in scored[1:]:
        if count >= MAX_SENTENCES or candidate.score < EXTRA_SENTENCE_RATIO * scored[0].score:
            break
        if candidate.unit in chosen or candidate.own <= 0:
            continue
        chosen.append(candidate.unit)
        count += 1
    return chosen


def _with_context(frame: QuestionFrame, unit: Unit) -> list[Unit]:
    """The unit plus the neighbour it needs: the sentence "It" refers to, or the next sentence
    when that is where the expected answer is."""
    chosen = [unit]
    previous = unit.previous
    if previous is not None and not previous.is_item and _PRONOUN_START.match(unit.text):
        chosen.insert(0, previous)
    following = unit.next
    if (
        frame.factual
        and following is not None
        and not answer_spans(frame, unit.text)
        and answer_spans(frame, following.text)
    ):
        chosen.append(following)
    return chosen


def write(units: list[Unit]) -> tuple[str, list[Citation]]:
    """The answer text with markers, and one citation per passage used."""
    numbers: dict[tuple[str, int, int], int] = {}
    spans: dict[int, tuple[Passage, int, int]] = {}
    parts: list[str] = []
    for unit in units:
        passage = unit.passage
        key = (passage.doc_id, passage.start, passage.end)
        n = numbers.setdefault(key, len(numbers) + 1)
        _, start, end = spans.get(n, (passage, unit.start, unit.end))
        spans[n] = (passage, min(start, unit.start), max(end, unit.end))
        marked = mark(unit.text, n)
        if unit.is_item:
            parts.append("\n- " + marked)
        else:
            parts.append(("\n" if parts and parts[-1].startswith("\n") else " ") + marked)
    citations = [
        Citation(n=n, passage=p, quote=p.text[start:end]) for n, (p, start, end) in spans.items()
    ]
    return "".join(parts).strip(), citations


def mark(sentence: str, n: int) -> str:
    """``sentence`` with `` [n]`` before its final punctuation mark."""
    sentence = sentence.rstrip()
    if sentence and sentence[-1] in _END_PUNCTUATION:
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"
