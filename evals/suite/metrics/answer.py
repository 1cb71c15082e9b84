"""Answer quality without a judge model: required facts, token F1 and length."""

from __future__ import annotations

from collections.abc import Sequence

from evals.suite.metrics.squad import tokens_f1
from evals.suite.metrics.text import contains_phrase, strip_markers, tokens


def missing_facts(answer: str, facts: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The required facts of which no accepted alternative appears in the answer."""
    text = strip_markers(answer)
    return [alts for alts in facts if not any(contains_phrase(text, alt) for alt in alts)]


def is_correct(answer: str, facts: Sequence[Sequence[str]]) -> bool:
    """All facts present (case, accents, punctuation and number words forgiven)."""
    return not missing_facts(answer, facts)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD's token F1, over our more forgiving normalisation (number words, accents)."""
    return tokens_f1(tokens(strip_markers(prediction)), tokens(reference))


def length_words(answer: str) -> int:
    return len(strip_markers(answer).split())
