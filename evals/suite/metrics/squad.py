"""SQuAD v2.0's official answer normalisation, exact match and F1 (from its evaluate script)."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1(prediction: str, gold: str) -> float:
    return tokens_f1(normalize_answer(prediction).split(), normalize_answer(gold).split())


def tokens_f1(pred: Sequence[str], ref: Sequence[str]) -> float:
    """Harmonic mean of the token precision and recall of ``pred`` against ``ref``."""
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best(metric: Callable[[str, str], float], prediction: str, golds: Sequence[str]) -> float:
    """Score against the closest gold answer; an unanswerable question's only gold is ""."""
    return max(metric(prediction, g) for g in (golds or [""]))


def contains_gold(answer: str, golds: Sequence[str]) -> bool:
    """Whether the normalised answer text contains any normalised gold answer."""
    text = f" {normalize_answer(answer)} "
    return any(normalize_answer(g) and f" {normalize_answer(g)} " in text for g in golds)
