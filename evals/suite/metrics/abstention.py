"""Recognising an abstention, and the two rates that show whether the threshold is right."""

from __future__ import annotations

from collections.abc import Sequence


def is_abstention(abstained: bool, text: str, sentence: str) -> bool:
    """An answer abstains if it says so (flag) or starts with the fixed refusal sentence."""
    return abstained or text.strip().startswith(sentence)


def refusal_rate(refused_unanswerable: Sequence[bool]) -> float | None:
    """Share of unanswerable questions refused: higher is better."""
    return _share(refused_unanswerable)


def false_refusal_rate(refused_answerable: Sequence[bool]) -> float | None:
    """Share of answerable questions refused: lower is better."""
    return _share(refused_answerable)


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None
