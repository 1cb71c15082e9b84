"""The best answer span of one window, from the reader's start and end logits.

A span's score is its start logit plus its end logit; the "no answer" score is the same sum at
the [CLS] token. Only spans inside the context, at most ``MAX_ANSWER_TOKENS`` long, count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True)
class WindowSpan:
    """The best span of a window: its score, the null score, and its character offsets."""

    score: float
    null_score: float
    start: int
    end: int


def best_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context_mask: np.ndarray,
    offsets: list[tuple[int, int]],
) -> WindowSpan | None:
    """The highest-scoring context span of one window (None if the window has no context)."""
    if not context_mask.any():
        return None
    start = np.where(context_mask, start_logits, -np.inf).astype(np.float32)
    end = np.where(context_mask, end_logits, -np.inf).astype(np.float32)
    pairs = start[:, None] + end[None, :]
    length = len(start)
    band = np.tril(np.triu(np.ones((length, length), dtype=bool)), MAX_ANSWER_TOKENS - 1)
    pairs = np.where(band, pairs, -np.inf)
    first, last = divmod(int(np.argmax(pairs)), length)
    return WindowSpan(
        score=float(pairs[first, last]),
        null_score=float(start_logits[0] + end_logits[0]),
        start=offsets[first][0],
        end=offsets[last][1],
    )
