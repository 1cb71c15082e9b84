"""Ask every dataset question through the real engine and score each answer.

Retrieval is scored on the passages the answer was given (``Answer.passages``), so the figures
describe exactly what the answerer saw, including for follow-ups resolved against the chat.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from statistics import fmean
from typing import Any

from app.answer import CANNOT_ANSWER, Answer
from app.protocols import Engine
from evals.suite.dataset import EvalItem
from evals.suite.metrics.abstention import false_refusal_rate, is_abstention, refusal_rate
from evals.suite.metrics.answer import length_words, missing_facts, token_f1
from evals.suite.metrics.citations import (
    Source,
    citation_precision,
    citation_recall,
    score_answer,
)
from evals.suite.metrics.latency import percentile
from evals.suite.metrics.retrieval import (
    coverage_at,
    evidence_ranks,
    first_hit,
    hit_at,
    reciprocal_rank,
)

HIT_KS = (1, 5)
Progress = Callable[[int, int], None]


@dataclass
class QuestionResult:
    """One question's answer and every check made on it (``None``: check not applicable)."""

    id: str
    category: str
    turns: list[str]
    answerable: bool
    answer: str
    reference: str
    refused: bool
    short_answer: str | None
    answerability: float
    search_query: str
    latency_ms: float
    rank: int | None = None
    coverage_at_5: float | None = None
    correct: bool | None = None
    missing_facts: list[list[str]] = field(default_factory=list)
    f1: float | None = None
    length_words: int = 0
    citation_recall: float | None = None
    citation_precision: float | None = None
    unsupported: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def ask(engine: Engine, turns: Sequence[str], backend: str | None) -> tuple[Answer, float]:
    """Ask the turns in order, feeding history; returns the last answer and its latency in ms."""
    history: list[dict[str, str]] = []
    for turn in turns[:-1]:
        earlier = engine.answer(turn, history=list(history), backend=backend)
        history += [
            {"role": "user", "content": turn},
            {"role": "assistant", "content": earlier.text},
        ]
    start = time.perf_counter()
    answer = engine.answer(turns[-1], history=history, backend=backend)
    return answer, (time.perf_counter() - start) * 1000


def score(item: EvalItem, answer: Answer, latency_ms: float) -> QuestionResult:
    """Every check of one answer against its dataset entry."""
    refused = is_abstention(answer.abstained, answer.text, CANNOT_ANSWER)
    result = QuestionResult(
        id=item.id,
        category=item.category,
        turns=list(item.turns),
        answerable=item.answerable,
        answer=answer.text,
        reference=item.reference,
        refused=refused,
        short_answer=answer.short_answer,
        answerability=answer.answerability,
        search_query=answer.search_query,
        latency_ms=round(latency_ms, 2),
        length_words=length_words(answer.text),
    )
    if answer.abstained != answer.text.strip().startswith(CANNOT_ANSWER):
        result.failed.append("abstention flag and sentence disagree")
    if not refused:
        sources = {c.n: Source(c.passage.text, c.quote) for c in answer.citations}
        sentences = score_answer(answer.text, sources)
        result.citation_recall = citation_recall(sentences)
        result.citation_precision = citation_precision(sentences)
        result.unsupported = [s.sentence for s in sentences if not s.supported]
    if not item.answerable:
        if not refused:
            result.failed.append("answered an unanswerable question")
        return result
    ranks = evidence_ranks([p.text for p in answer.passages], item.evidence)
    result.rank = first_hit(ranks)
    result.coverage_at_5 = coverage_at(ranks, 5)
    missing = [] if refused else missing_facts(answer.text, item.facts)
    result.missing_facts = [list(m) for m in missing]
    result.correct = not refused and not missing
    result.f1 = 0.0 if refused else token_f1(answer.text, item.reference)
    if result.rank is None:
        result.failed.append("evidence not retrieved")
    if refused:
        result.failed.append("refused an answerable question")
    elif missing:
        result.failed.append("missing facts: " + "; ".join(" / ".join(m) for m in missing))
    if result.citation_recall is not None and result.citation_recall < 1:
        result.failed.append("unsupported sentence")
    if result.citation_precision is not None and result.citation_precision < 1:
        result.failed.append("citation does not support its sentence")
    return result


def answer_each(
    engine: Engine,
    turn_lists: Sequence[Sequence[str]],
    backend: str | None = None,
    progress: Progress | None = None,
) -> list[tuple[Answer, float]]:
    """Each conversation's last answer and its latency in ms; one warm-up question first so
    latency excludes loading."""
    engine.answer(turn_lists[0][0], history=[], backend=backend)
    answers = []
    for done, turns in enumerate(turn_lists, start=1):
        answers.append(ask(engine, turns, backend))
        if progress:
            progress(done, len(turn_lists))
    return answers


def run_dataset(
    engine: Engine,
    items: Sequence[EvalItem],
    backend: str | None = None,
    progress: Progress | None = None,
) -> list[QuestionResult]:
    """Answer and score every item."""
    answers = answer_each(engine, [item.turns for item in items], backend, progress)
    return [score(item, answer, ms) for item, (answer, ms) in zip(items, answers, strict=True)]


def mean_present(values: Sequence[float | int | bool | None]) -> float | None:
    """Mean of the values a check produced (None: not applicable, left out); None if none."""
    present = [float(v) for v in values if v is not None]
    return fmean(present) if present else None


def summarise(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """The flat metrics object of the JSON result (rates 0..1, latencies in ms)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in results if not r.refused]
    metrics: dict[str, float | None] = {"dataset.questions": float(len(results))}
    for k in HIT_KS:
        metrics[f"retrieval.hit@{k}"] = mean_present([hit_at(r.rank, k) for r in answerable])
    metrics["retrieval.mrr"] = mean_present([reciprocal_rank(r.rank) for r in answerable])
    metrics["retrieval.coverage@5"] = mean_present([r.coverage_at_5 for r in answerable])
    metrics["retrieval.full_coverage@5"] = mean_present([r.coverage_at_5 == 1 for r in answerable])
    metrics["answer.correctness"] = mean_present([r.correct for r in answerable])
    metrics["answer.f1"] = mean_present([r.f1 for r in answerable])
    metrics["answer.length_words"] = mean_present([r.length_words for r in answered])
    metrics["citations.precision"] = mean_present([r.citation_precision for r in answered])
    metrics["citations.recall"] = mean_present([r.citation_recall for r in answered])
    metrics["abstention.refusal_rate"] = refusal_rate([r.refused for r in unanswerable])
    metrics["abstention.false_refusal_rate"] = false_refusal_rate([r.refused for r in answerable])
    latencies = [r.latency_ms for r in results]
    metrics["latency.p50_ms"] = percentile(latencies, 50) if latencies else None
    metrics["latency.p95_ms"] = percentile(latencies, 95) if latencies else None
    return metrics


CATEGORY_METRICS = {
    "correctness": lambda rs: mean_present([r.correct for r in rs if r.answerable]),
    "hit@5": lambda rs: mean_present([hit_at(r.rank, 5) for r in rs if r.answerable]),
    "citation recall": lambda rs: mean_present([r.citation_recall for r in rs if not r.refused]),
    "refusal (unanswerable)": lambda rs: mean_present([r.refused for r in rs if not r.answerable]),
}


def by_category(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """Per-category figures for the report's bar chart, categories in dataset order."""
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[r.category].append(r)
    figures: dict[str, dict[str, float | None]] = {}
    for category, rs in groups.items():
        row: dict[str, float | None] = {"questions": float(len(rs))}
        figures[category] = row | {name: f(rs) for name, f in CATEGORY_METRICS.items()}
    return figures
