"""Examples turned into model inputs: question + context windows with answer-token labels.

A context longer than the model's window is read in overlapping windows (the reader's own
``ReaderTokenizer``, as citewise reads). A window that does not hold the whole answer is labelled
"no answer" (the [CLS] token), as in SQuAD 2.0 training.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from app.reader.encoding import ReaderTokenizer
from evals.training.data import Example

MAX_QUESTION_CHARS = 300
EXTRA_WINDOWS = 1
"""Windows of one context kept besides those holding the answer: long contexts would
otherwise flood training with easy "no answer" windows."""


@dataclass(frozen=True)
class Feature:
    input_ids: list[int]
    token_type_ids: list[int]
    start: int
    end: int


def encode(
    tokenizer: ReaderTokenizer,
    examples: Sequence[Example],
    seed: int,
    batch: int = 1000,
) -> list[Feature]:
    rng = random.Random(seed)
    features: list[Feature] = []
    for first in range(0, len(examples), batch):
        chunk = examples[first : first + batch]
        encoded = tokenizer.windows(
            [e.question[:MAX_QUESTION_CHARS] for e in chunk], [e.context for e in chunk]
        )
        by_sample: dict[int, list[Feature]] = {}
        for i, sample in enumerate(encoded.text_index):
            example = chunk[sample]
            start, end = _label(encoded.sequence_ids[i], encoded.offsets[i], example)
            by_sample.setdefault(sample, []).append(
                Feature(encoded.input_ids[i], encoded.token_type_ids[i], start, end)
            )
        for sample in sorted(by_sample):
            answering = [f for f in by_sample[sample] if f.start > 0]
            others = [f for f in by_sample[sample] if f.start == 0]
            rng.shuffle(others)
            features += answering + others[: EXTRA_WINDOWS if answering else EXTRA_WINDOWS + 1]
    return features


def _label(
    sequence_ids: list[int | None], offsets: list[tuple[int, int]], example: Example
) -> tuple[int, int]:
    """Token positions of the answer in this window, or (0, 0) for "no answer"."""
    if example.answer_start is None or example.answer_text is None:
        return 0, 0
    char_start = example.answer_start
    char_end = char_start + len(example.answer_text)
    context = [i for i, s in enumerate(sequence_ids) if s == 1]
    if not context:
        return 0, 0
    first, last = context[0], context[-1]
    if offsets[first][0] > char_start or offsets[last][1] < char_end:
        return 0, 0
    start = first
    while start <= last and offsets[start][1] <= char_start:
        start += 1
    end = last
    while end >= first and offsets[end][0] >= char_end:
        end -= 1
    if start > end:
        return 0, 0
    return start, end
