"""Weighted reciprocal rank fusion of the dense and lexical rankings.

Ranks, not raw scores, are fused: cosine similarities and BM25 scores live on unrelated
scales, while a rank means the same on both sides. A chunk found by one side only still gets
that side's share, so a rare code found only lexically, or a paraphrase found only densely,
can rank first.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.records import Chunk


@dataclass
class Candidate:
    """A chunk with what each side thought of it."""

    chunk: Chunk
    fused: float = 0.0
    dense: float | None = None
    lexical: float | None = None


def fuse(
    dense: list[tuple[Chunk, float]],
    lexical: list[tuple[Chunk, float]],
    *,
    dense_weight: float,
    lexical_weight: float,
    rrf_k: int,
) -> list[Candidate]:
    """Candidates best first; each ranking is best first, chunks keyed by ``Chunk.id``."""
    found: dict[str, Candidate] = {}
    for rank, (chunk, score) in enumerate(dense, start=1):
        candidate = found.setdefault(chunk.id, Candidate(chunk))
        candidate.dense = score
        candidate.fused += dense_weight / (rrf_k + rank)
    for rank, (chunk, score) in enumerate(lexical, start=1):
        candidate = found.setdefault(chunk.id, Candidate(chunk))
        candidate.lexical = score
        candidate.fused += lexical_weight / (rrf_k + rank)
    return sorted(found.values(), key=lambda c: c.fused, reverse=True)
