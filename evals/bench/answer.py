"""Warm answer latency of the extractive backend: retrieval, reading and answering timed apart.

Models and indexes are loaded and one question is asked before timing, so the figures are
what a user waits for in a running chat. Prints p50/p95 in ms per stage on the INSIS corpus
(its evaluation questions) and on a sample of the SQuAD v2.0 slice (a temporary index), for
each reader runtime on the same indexes in the same run (the first named is the baseline), with
the CPU time (user+sys of every thread) per question beside the wall time: on a machine shared
with other work the CPU time is the steadier figure.

    python -m evals.bench.answer [--sample 200] [--squad FILE] [--top-k 5] [--runtimes torch onnx]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from app.composition import Components, Models
from app.engine import AnswerEngine
from evals.bench.cold_ask import cpu_note
from evals.suite.metrics.latency import percentile
from evals.suite.squad_data import DEFAULT_SQUAD, read_squad, sample, write_articles
from ingest.settings import ReaderRuntime, Settings

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "evals" / "datasets" / "insis.jsonl"
STAGES = ("retrieve", "read", "answer", "total")
CPU = "cpu"
"""User+sys seconds of the whole process per question, in ms."""


def insis_questions(path: Path = DATASET) -> list[str]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            questions.append(item.get("question") or item["turns"][-1])
    return questions


def measure(engine: AnswerEngine, questions: Sequence[str], top_k: int) -> dict[str, list[float]]:
    engine.answer(questions[0], top_k=top_k)
    timings: dict[str, list[float]] = {stage: [] for stage in (*STAGES, CPU)}
    for question in questions:
        cpu_before = time.process_time()
        answer = engine.answer(question, top_k=top_k)
        timings[CPU].append((time.process_time() - cpu_before) * 1000)
        for stage in STAGES:
            timings[stage].append(answer.timings_ms[stage])
    return timings


def report(name: str, timings: dict[str, list[float]]) -> None:
    n = len(timings["total"])
    cells = "  ".join(
        f"{stage} p50 {percentile(v, 50):6.1f} p95 {percentile(v, 95):6.1f}"
        for stage, v in timings.items()
    )
    print(f"{name:11} n={n:4}  {cells}  (ms)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="SQuAD questions timed")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--top-k", type=int, default=5, help="Passages read per question")
    parser.add_argument(
        "--runtimes",
        nargs="+",
        type=ReaderRuntime,
        default=[ReaderRuntime.TORCH, ReaderRuntime.ONNX],
        help="Reader runtimes timed one after the other on the same indexes",
    )
    args = parser.parse_args(argv)
    from ingest.sync import sync_paths

    print(cpu_note())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        indexing = Models()
        insis = Settings(store_dir=work / "insis")
        sync_paths([ROOT / "corpus"], insis, embedder=indexing.embedder(insis))
        articles, questions = read_squad(args.squad)
        squad = Settings(store_dir=work / "squad")
        docs = write_articles(articles, work / "squad-docs")
        sync_paths(docs, squad, embedder=indexing.embedder(squad))
        chosen = [q.question for q in sample(questions, args.sample)]
        sets = (("insis", insis, insis_questions()), ("squad", squad, chosen))
        for runtime in args.runtimes:
            models = Models(runtime)
            for name, settings, asked in sets:
                with contextlib.closing(Components(settings, models=models)) as parts:
                    report(f"{name} {runtime}", measure(parts.engine, asked, args.top_k))


if __name__ == "__main__":
    main()
