"""Giving passages more context: whole neighbouring sentences on each side.

A widened passage is still one exact span of its document, so citations stay checkable.
Passages that widening makes overlap are joined, the better one's scores kept.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import replace

from retriever.passage import Passage

Sentences = list[tuple[int, int]]


def widen_span(start: int, end: int, sentences: Sentences, n: int) -> tuple[int, int]:
    """``(start, end)`` grown by ``n`` sentences each way; ``sentences`` ordered by offset."""
    if n <= 0 or not sentences:
        return start, end
    ends = [e for _, e in sentences]
    starts = [s for s, _ in sentences]
    first = bisect_right(ends, start)
    last = bisect_left(starts, end) - 1
    first = max(0, first - n)
    last = min(len(sentences) - 1, last + n)
    return min(start, sentences[first][0]), max(end, sentences[last][1])


def widen(
    passages: list[Passage],
    n: int,
    document: Callable[[str], tuple[str, Sentences] | None],
) -> list[Passage]:
    """``passages`` each extended by ``n`` sentences; ``document(doc_id)`` gives the
    document's text and sentence spans (``None`` if it is gone: the passage stays as is)."""
    if n <= 0:
        return passages
    result: list[Passage] = []
    for passage in passages:
        found = document(passage.doc_id)
        if found is None:
            result.append(passage)
            continue
        text, sentences = found
        start, end = widen_span(passage.start, passage.end, sentences, n)
        joined = [
            kept
            for kept in result
            if kept.doc_id == passage.doc_id and kept.start < end and start < kept.end
        ]
        if not joined:
            result.append(replace(passage, start=start, end=end, text=text[start:end]))
            continue
        start = min(start, *(k.start for k in joined))
        end = max(end, *(k.end for k in joined))
        ids = tuple(dict.fromkeys(i for p in (*joined, passage) for i in p.chunk_ids))
        keeper = replace(joined[0], start=start, end=end, text=text[start:end], chunk_ids=ids)
        result = [
            keeper if p is joined[0] else p for p in result if all(p is not j for j in joined[1:])
        ]
    return result
