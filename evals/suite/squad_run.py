"""SQuAD v2.0 as an outside benchmark: nobody on the project wrote its questions.

A retrieved passage hits when it contains a gold answer (SQuAD normalisation), the same rule as
the reference figures in ``shared/bench/README.md``. Exact match and F1 use the short answer
when the engine marks one, else the whole answer; a refusal predicts "" as SQuAD v2 expects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from app.answer import CANNOT_ANSWER, Answer
from app.protocols import Engine
from evals.suite.metrics import squad
from evals.suite.metrics.abstention import false_refusal_rate, is_abstention, refusal_rate
from evals.suite.metrics.latency import percentile
from evals.suite.metrics.retrieval import hit_at
from evals.suite.metrics.text import strip_markers
from evals.suite.runner import Progress, answer_each, mean_present
from evals.suite.squad_data import SquadQuestion


@dataclass
class SquadResult:
    id: str
    article: str
    question: str
    answerable: bool
    golds: list[str]
    answer: str
    prediction: str
    refused: bool
    answerability: float
    rank: int | None
    contains_gold: bool
    exact: float
    f1: float
    latency_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def score_squad(question: SquadQuestion, answer: Answer, latency_ms: float) -> SquadResult:
    refused = is_abstention(answer.abstained, answer.text, CANNOT_ANSWER)
    golds = list(question.answers) if question.answerable else []
    prediction = "" if refused else strip_markers(answer.short_answer or answer.text)
    rank = None
    if golds:
        rank = next(
            (i for i, p in enumerate(answer.passages, 1) if squad.contains_gold(p.text, golds)),
            None,
        )
    return SquadResult(
        id=question.id,
        article=question.article,
        question=question.question,
        answerable=question.answerable,
        golds=golds,
        answer=answer.text,
        prediction=prediction,
        refused=refused,
        answerability=answer.answerability,
        rank=rank,
        contains_gold=bool(golds) and not refused and squad.contains_gold(answer.text, golds),
        exact=squad.best(squad.exact, prediction, golds),
        f1=squad.best(squad.f1, prediction, golds),
        latency_ms=round(latency_ms, 2),
    )


def run_squad(
    engine: Engine,
    questions: Sequence[SquadQuestion],
    backend: str | None = None,
    progress: Progress | None = None,
) -> list[SquadResult]:
    answers = answer_each(engine, [[q.question] for q in questions], backend, progress)
    return [score_squad(q, answer, ms) for q, (answer, ms) in zip(questions, answers, strict=True)]


def summarise_squad(results: Sequence[SquadResult]) -> dict[str, float | None]:
    has = [r for r in results if r.answerable]
    no = [r for r in results if not r.answerable]
    latencies = [r.latency_ms for r in results]
    return {
        "squad.questions": float(len(results)),
        "squad.hasans_questions": float(len(has)),
        "squad.hit@1": mean_present([hit_at(r.rank, 1) for r in has]),
        "squad.hit@5": mean_present([hit_at(r.rank, 5) for r in has]),
        "squad.answer_contains_gold": mean_present([r.contains_gold for r in has]),
        "squad.exact": mean_present([r.exact for r in results]),
        "squad.f1": mean_present([r.f1 for r in results]),
        "squad.hasans_f1": mean_present([r.f1 for r in has]),
        "squad.noans_refusal_rate": refusal_rate([r.refused for r in no]),
        "squad.hasans_false_refusal_rate": false_refusal_rate([r.refused for r in has]),
        "squad.latency.p50_ms": percentile(latencies, 50) if latencies else None,
        "squad.latency.p95_ms": percentile(latencies, 95) if latencies else None,
    }
