"""Retrieval against evidence quotes: a passage hits when it contains a quote verbatim.

Quotes and passages are compared after collapsing whitespace only, so a hit means the reader
was really shown the supporting words.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.suite.metrics.text import squash


def evidence_ranks(passages: Sequence[str], evidence: Sequence[str]) -> list[int | None]:
    """For each quote, the 1-based rank of the first passage containing it (None: not retrieved)."""
    texts = [squash(p) for p in passages]
    ranks: list[int | None] = []
    for quote in evidence:
        needle = squash(quote)
        ranks.append(next((i for i, t in enumerate(texts, start=1) if needle in t), None))
    return ranks


def first_hit(ranks: Sequence[int | None]) -> int | None:
    """Rank of the best passage holding any of the quotes: the hit rule for multi-evidence items."""
    found = [r for r in ranks if r is not None]
    return min(found) if found else None


def hit_at(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def coverage_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of the quotes found in the top ``k``; 1.0 means all the evidence was retrieved."""
    if not ranks:
        return 0.0
    return sum(hit_at(r, k) for r in ranks) / len(ranks)
