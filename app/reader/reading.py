"""Reading passages: one question against several texts, in one batched forward pass.

A text longer than the model's window is read in overlapping windows; each text's best span is
the best over its windows, its "no answer" score the lowest of its windows' null scores (as in
SQuAD 2.0 post-processing: one window that cannot place the answer says little), and its
verifier verdict the most confident of its windows'. The window (384 tokens) holds a whole
chunk of the default size, so a passage is normally read at once, and a span is never judged
against another part of the same passage read out of its context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.reader.encoding import ReaderTokenizer
from app.reader.logits import ReaderModel
from app.reader.spans import best_span

MAX_QUESTION_TOKENS = 64
_HEADING_MARKS = re.compile(r"(?m)^[ \t]{0,3}(#{1,6})(?=[ \t])")


def without_markup(text: str) -> str:
    """The text with Markdown heading marks blanked out, same length so offsets still hold.

    The reader was trained on plain prose; a ``##`` in front of a heading drew its best span
    onto the heading ("What is the research field of the JRL?" -> a section title).
    """
    return _HEADING_MARKS.sub(lambda m: m.group(0).replace("#", " "), text)


@dataclass(frozen=True)
class Reading:
    """The reader's verdict on one text: its best span and how sure it is there is one."""

    score: float
    null_score: float
    start: int
    end: int
    verdict: float
    """The verifier's logit that the text holds the answer (above zero: it does)."""

    @property
    def margin(self) -> float:
        """Best span score minus the "no answer" score: above zero, the span wins."""
        return self.score - self.null_score


def read(
    tokenizer: ReaderTokenizer, model: ReaderModel, question: str, texts: Sequence[str]
) -> list[Reading | None]:
    """For each text, its best answer span (None for an empty text)."""
    if not texts:
        return []
    question = tokenizer.first_tokens(question, MAX_QUESTION_TOKENS)
    windows = tokenizer.windows([question] * len(texts), [without_markup(t) for t in texts])
    inputs = windows.padded()
    logits = model(**inputs)
    width = inputs["input_ids"].shape[1]
    readings: list[Reading | None] = [None] * len(texts)
    for window, text_index in enumerate(windows.text_index):
        context = np.zeros(width, dtype=bool)
        sequence_ids = windows.sequence_ids[window]
        context[: len(sequence_ids)] = [part == 1 for part in sequence_ids]
        span = best_span(logits.start[window], logits.end[window], context, windows.offsets[window])
        if span is None:
            continue
        previous = readings[text_index]
        verdict = float(logits.verdict[window])
        if previous is not None:
            verdict = max(verdict, previous.verdict)
        null = span.null_score if previous is None else min(previous.null_score, span.null_score)
        best = span if previous is None or span.score > previous.score else previous
        readings[text_index] = Reading(best.score, null, best.start, best.end, verdict)
    return readings
