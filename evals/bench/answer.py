"""Warm answer latency of the extractive backend: retrieval, reading and answering timed apart.

Models and indexes are loaded and one question is asked before timing, so the figures are
what a user waits for in a running chat. Prints p50/p95 in ms per stage on the INSIS corpus
(its evaluation questions) and on a sample of the SQuAD v2.0 slice (a temporary index).

    python -m evals.bench.answer [--sample 200] [--squad FILE] [--top-k 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app.composition import Components, Models
from app.engine import AnswerEngine
from evals.suite.metrics.latency import percentile
from evals.suite.squad_data import DEFAULT_SQUAD, read_squad, sample, write_articles
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "evals" / "datasets" / "insis.jsonl"
STAGES = ("retrieve", "read", "answer", "total")


def insis_questions(path: Path = DATASET) -> list[str]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            questions.append(item.get("question") or item["turns"][-1])
    return questions


def measure(engine: AnswerEngine, questions: Sequence[str], top_k: int) -> dict[str, list[float]]:
    engine.answer(questions[0], top_k=top_k)
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for question in questions:
        answer = engine.answer(question, top_k=top_k)
        for stage in STAGES:
            timings[stage].append(answer.timings_ms[stage])
    return timings


def report(name: str, timings: dict[str, list[float]]) -> None:
    n = len(timings["total"])
    cells = "  ".join(
        f"{stage} p50 {percentile(v, 50):6.1f} p95 {percentile(v, 95):6.1f}"
        for stage, v in timings.items()
    )
    print(f"{name:6} n={n:4}  {cells}  (ms)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="SQuAD questions timed")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--top-k", type=int, default=5, help="Passages read per question")
    args = parser.parse_args(argv)
    from ingest.sync import sync_paths

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = Models()
        insis = Components(Settings(store_dir=work / "insis"), models=models)
        sync_paths([ROOT / "corpus"], insis.settings, store=insis.store, embedder=insis.embedder)
        report("insis", measure(insis.engine, insis_questions(), args.top_k))
        articles, questions = read_squad(args.squad)
        squad = Components(Settings(store_dir=work / "squad"), models=models)
        docs = write_articles(articles, work / "squad-docs")
        sync_paths(docs, squad.settings, store=squad.store, embedder=squad.embedder)
        chosen = [q.question for q in sample(questions, args.sample)]
        report("squad", measure(squad.engine, chosen, args.top_k))


if __name__ == "__main__":
    main()
