"""Reading passages: one question against several texts, in one batched forward pass.

A text longer than the model's window is read in overlapping windows; each text's best span is
the best over its windows, its "no answer" score the lowest of its windows' null scores (as in
SQuAD 2.0 post-processing: one window that cannot place the answer says little), and its
verifier verdict the most confident of its windows'. The window (384 tokens) holds a whole
chunk of the default size, so a passage is normally read at once, and a span is never judged
against another part of the same passage read out of its context.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from app.reader.spans import best_span
from ingest.runtime.cpu import native_bf16

MAX_LENGTH = 384
STRIDE = 128
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


@contextlib.contextmanager
def inference() -> Iterator[None]:
    import torch

    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bf16()):
        yield


def windows(
    tokenizer: Any,
    questions: Sequence[str],
    texts: Sequence[str],
    max_length: int,
    stride: int,
    *,
    padding: bool,
    tensors: str | None = None,
) -> Any:
    """Each (question, text) pair as windows of at most ``max_length`` tokens, overlapping by
    ``stride``, with the characters each token came from: the one encoding training and
    reading share, so the model reads what it was trained on."""
    return tokenizer(
        list(questions),
        list(texts),
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=padding,
        return_tensors=tensors,
    )


def read(
    tokenizer: Any,
    model: Any,
    question: str,
    texts: Sequence[str],
    max_length: int = MAX_LENGTH,
    stride: int = STRIDE,
) -> list[Reading | None]:
    """For each text, its best answer span (None for an empty text)."""
    import torch

    if not texts:
        return []
    question_ids = tokenizer(question, add_special_tokens=False)["input_ids"]
    if len(question_ids) > MAX_QUESTION_TOKENS:
        question = tokenizer.decode(question_ids[:MAX_QUESTION_TOKENS])
    encoded = windows(
        tokenizer,
        [question] * len(texts),
        [without_markup(t) for t in texts],
        max_length,
        stride,
        padding=True,
        tensors="pt",
    )
    with inference():
        output = model(
            input_ids=encoded["input_ids"],
            attention_mask=encoded["attention_mask"],
            token_type_ids=encoded["token_type_ids"],
        )
    readings: list[Reading | None] = [None] * len(texts)
    verdicts = output.verdict_logits.float().tolist()
    for window, text_index in enumerate(encoded["overflow_to_sample_mapping"].tolist()):
        sequence_ids = encoded.sequence_ids(window)
        context_mask = torch.tensor([s == 1 for s in sequence_ids])
        span = best_span(
            output.start_logits[window],
            output.end_logits[window],
            context_mask,
            encoded["offset_mapping"][window].tolist(),
        )
        if span is None:
            continue
        previous = readings[text_index]
        verdict = verdicts[window]
        if previous is not None:
            verdict = max(verdict, previous.verdict)
        null = span.null_score if previous is None else min(previous.null_score, span.null_score)
        best = span if previous is None or span.score > previous.score else previous
        readings[text_index] = Reading(best.score, null, best.start, best.end, verdict)
    return readings
