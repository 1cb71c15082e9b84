"""What the refusal model reads from the evidence: the reader's and the retriever's scores on
the passage the answer would quote and on all passages, and how much of the question it holds."""

from __future__ import annotations

from app.gate.evidence import Evidence
from ingest.text.words import content_stems
from retriever.passage import Passage

FEATURES = (
    "margin",
    "score",
    "best_margin",
    "verdict",
    "max_verdict",
    "dense",
    "max_dense",
    "coverage",
)
"""BM25 scores are left out on purpose: they grow with the size of the corpus, so a weight
fitted on one corpus would not carry over to another; ``coverage`` (the share of the
question's content words that the quoted passage holds) is the lexical signal instead."""


def features(evidence: Evidence) -> dict[str, float]:
    """What the refusal model reads: the span head's and the verifier's verdicts on the
    passage the answer would quote and on all passages, and how close the retriever found the
    passages to be."""
    best = evidence.best
    if best is None or best.reading is None:
        nothing = {"margin": -20.0, "best_margin": -20.0, "verdict": -20.0, "max_verdict": -20.0}
        return {name: 0.0 for name in FEATURES} | nothing
    readings = [i.reading for i in evidence.read if i.reading is not None]
    dense = [_similarity(item.passage) for item in evidence.read]
    return {
        "margin": best.reading.margin,
        "score": best.reading.score,
        "best_margin": max(r.margin for r in readings),
        "verdict": best.reading.verdict,
        "max_verdict": max(r.verdict for r in readings),
        "dense": _similarity(best.passage),
        "max_dense": max(dense, default=0.0),
        "coverage": coverage(evidence.question, best.passage.text),
    }


def _similarity(passage: Passage) -> float:
    """The passage's cosine similarity to the question (0 when unknown)."""
    if passage.similarity is not None:
        return passage.similarity
    return passage.dense_score or 0.0


def coverage(question: str, text: str) -> float:
    """The share of the question's content words (stemmed) that occur in ``text``: a passage
    on another subject that shares one word with the question ("annual") covers little."""
    asked = set(content_stems(question))
    if not asked:
        return 1.0
    return len(asked & set(content_stems(text))) / len(asked)
