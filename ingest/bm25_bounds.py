"""Upper bounds on what each query term adds to FTS5's ``bm25()``, for an exact top n.

FTS5 scores a row by summing, over the query's phrases,
``idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl))`` with ``k1 = 1.2``, ``b = 0.75``,
``idf = ln((N - df + 0.5) / (df + 0.5))`` raised to 1e-6 when not positive, ``f`` the term's
count in the row, ``D`` the row's length and ``N`` the number of rows (``fts5Bm25Function``
in SQLite's ext/fts5/fts5_aux.c). The fraction is below ``k1 + 1`` for any ``f`` and ``D``, so
a term adds less than ``idf * (k1 + 1)`` to any row. Rows holding none of the rare terms then
score less than the sum of the common terms' bounds, and need not be scored once n rows do
better (the MaxScore idea). Searching ranks thousands of rows this way instead of all that
share a common word with the question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

K1 = 1.2
MIN_IDF = 1e-6
SLACK = 1e-9
"""Relative margin on a bound, for the rounding of FTS5's and Python's floating-point sums."""


def term_bound(df: int, rows: int) -> float:
    """More than any row can gain from a term found in ``df`` of ``rows`` rows. ``rows`` may
    be overestimated: the bound only grows with it."""
    if df <= 0:
        return 0.0
    idf = math.log((rows - df + 0.5) / (df + 0.5))
    return max(idf, MIN_IDF) * (K1 + 1) * (1 + SLACK)


def first_guess(dfs: Sequence[int], rows: float) -> int:
    """How many of the terms (rarest first, found in ``dfs`` rows each) are found in
    ``rows`` rows together, counting a row once per term."""
    found = 0
    for count, df in enumerate(dfs, start=1):
        found += df
        if found >= rows:
            return count
    return len(dfs)


def essential(bounds: Sequence[float], threshold: float) -> int:
    """How many of the terms (rarest first) a row must hold one of to possibly score
    ``threshold`` or more: the others' bounds add up to less."""
    rest = 0.0
    for count in range(len(bounds), 0, -1):
        if rest + bounds[count - 1] >= threshold:
            return count
        rest += bounds[count - 1]
    return 0
