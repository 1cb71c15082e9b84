"""Answer quality without a judge model: required facts, token F1 and length."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from evals.metrics.text import contains_phrase, strip_markers, tokens


def missing_facts(answer: str, facts: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The required facts of which no accepted alternative appears in the answer."""
    text = strip_markers(answer)
    return [alts for alts in facts if not any(contains_phrase(text, alt) for alt in alts)]


def is_correct(answer: str, facts: Sequence[Sequence[str]]) -> bool:
    """All facts present (case, accents, punctuation and number words forgiven)."""
    return not missing_facts(answer, facts)


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall between answer and reference."""
    pred, ref = tokens(strip_markers(prediction)), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def length_words(answer: str) -> int:
    return len(strip_markers(answer).split())
