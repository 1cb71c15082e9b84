"""The best answer span of one window, from the reader's start and end logits.

A span's score is its start logit plus its end logit; the "no answer" score is the same sum at
the [CLS] token. Only spans inside the context, at most ``MAX_ANSWER_TOKENS`` long, count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True)
class WindowSpan:
    """The best span of a window: its score, the null score, and its character offsets."""

    score: float
    null_score: float
    start: int
    end: int


def best_span(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    context_mask: torch.Tensor,
    offsets: list[tuple[int, int]],
) -> WindowSpan | None:
    """The highest-scoring context span of one window (None if the window has no context)."""
    import torch

    if not bool(context_mask.any()):
        return None
    start = start_logits.float().masked_fill(~context_mask, float("-inf"))
    end = end_logits.float().masked_fill(~context_mask, float("-inf"))
    pairs = start[:, None] + end[None, :]
    length = len(start)
    band = torch.ones(length, length, dtype=torch.bool).triu().tril(MAX_ANSWER_TOKENS - 1)
    pairs = pairs.masked_fill(~band, float("-inf"))
    flat = int(torch.argmax(pairs))
    first, last = divmod(flat, length)
    return WindowSpan(
        score=float(pairs[first, last]),
        null_score=float(start_logits[0] + end_logits[0]),
        start=offsets[first][0],
        end=offsets[last][1],
    )
