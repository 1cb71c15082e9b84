"""Scale: how each command's cost grows with the index, from 1k to 100k (or 1M) chunks.

Indexes are built quickly: real text (sentences of the SQuAD contexts in ``../shared/bench/``,
shuffled into ~1 KB chunks of 10-chunk documents) with random unit vectors instead of
embeddings (embedding cost is linear, and measured by ``evals.bench.ingest``). They are written
through ``ChunkStore.put``, so they have the layout ``citewise ingest`` writes, lexical index
included. For each size the script times, as full commands: a cold ``citewise ask`` (wall
time and peak RSS), ``citewise ingest`` of one new small file and a no-op re-ingest of it,
``citewise docs``; in-process: warm retrieval p50/p95; and the index's size on disk. Ratios
are to the smallest size of the same run. Commands are also given in CPU seconds (user +
system, from ``wait4``): on a shared machine their wall time mostly measures the others' load.

    python -m evals.bench.scale [--million] [--plot bench_scale.png] [--questions 200]
    python -m evals.bench.scale --build N DIR     # build one index of N chunks and stop

With ``--keep DIR`` the indexes stay in ``DIR/index-N/store``, and a later run with the same
``--keep`` measures an index already complete there instead of building it again (the 1M
index takes over an hour to build): its build time shows as "kept".
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.suite.metrics.latency import percentile
from evals.suite.squad_data import DEFAULT_SQUAD, read_squad
from ingest.records import Chunk, DocumentRecord
from ingest.settings import load_settings
from ingest.store import ChunkStore, NewVersion

SIZES = (1_000, 10_000, 100_000)
MILLION = 1_000_000
CHUNKS_PER_DOCUMENT = 10
CHUNK_CHARS = 1000
DIMENSIONS = 384
"""Of the packaged all-MiniLM-L6-v2, so the real model can query and add to the index."""
WRITE_GROUP = 2000
COMPLETE_MARK = "complete"
"""Written beside a store once ``build`` has put all its chunks: the chunk count."""
CITEWISE = Path(sys.executable).with_name("citewise")
NEW_FILE_TEXT = (
    "Field note 4471. The harbour crane QX-73 was inspected on a wet Tuesday; its winch "
    "cable showed fraying near the drum and was replaced before the evening shift.\n"
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _sentences(squad: Path) -> tuple[list[str], list[str]]:
    """Sentences of every SQuAD context, and the questions (for timing searches)."""
    articles, questions = read_squad(squad)
    sentences = [s for a in articles for s in SENTENCE_END.split(a.text.replace("\n\n", " ")) if s]
    return sentences, [q.question for q in questions]


def _document(number: int, sentences: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """A document of CHUNKS_PER_DOCUMENT paragraphs of about CHUNK_CHARS each."""
    paragraphs = []
    for _ in range(CHUNKS_PER_DOCUMENT):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < CHUNK_CHARS - 200:
            words.append(rng.choice(sentences))
        paragraphs.append(" ".join(words)[:CHUNK_CHARS])
    return f"Report {number}", paragraphs


def build(n: int, folder: Path, squad: Path = DEFAULT_SQUAD, seed: int = 0) -> None:
    """Writes an index of ``n`` chunks into ``folder`` (a store_dir). The documents are the
    same on every run (seeded), so an interrupted build resumes: documents already committed
    are generated again but not written."""
    sentences, _ = _sentences(squad)
    rng = random.Random(seed)
    vectors_rng = np.random.default_rng(seed)
    store = ChunkStore.open(load_settings(store_dir=folder))
    group: list[NewVersion] = []
    written = 0
    for number in range((n + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT):
        title, paragraphs = _document(number, sentences, rng)
        paragraphs = paragraphs[: n - written]
        text = "\n\n".join(paragraphs)
        digest = hashlib.sha256(text.encode()).hexdigest()
        doc_id = f"reports/report-{number:07d}.txt"
        chunks, start = [], 0
        for index, paragraph in enumerate(paragraphs):
            chunks.append(Chunk(doc_id, index, paragraph, start, start + len(paragraph), title,
                                f"/bench/{doc_id}", doc_hash=digest))  # fmt: skip
            start += len(paragraph) + 2
        vectors = vectors_rng.standard_normal((len(chunks), DIMENSIONS), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        record = DocumentRecord(doc_id, title, f"/bench/{doc_id}", digest, len(chunks),
                                "2026-01-01T00:00:00+00:00", text)  # fmt: skip
        group.append(NewVersion(record, chunks, vectors.tolist()))
        written += len(chunks)
        if sum(len(v.chunks) for v in group) >= WRITE_GROUP:
            _put_new(store, group)
            group = []
            print(f"\r  built {written:,} of {n:,} chunks", end="", file=sys.stderr, flush=True)
    _put_new(store, group)
    (folder.parent / COMPLETE_MARK).write_text(str(n), encoding="utf-8")
    print(f"\r  built {written:,} of {n:,} chunks", file=sys.stderr)


def _put_new(store: ChunkStore, group: list[NewVersion]) -> None:
    """Puts the versions the store does not hold yet."""
    held = store.records(v.record.doc_id for v in group)
    store.put([v for v in group if v.record.doc_id not in held
               or held[v.record.doc_id].content_hash != v.record.content_hash])  # fmt: skip


def _complete(n: int, folder: Path) -> bool:
    """Whether ``folder`` holds an index of ``n`` chunks that ``build`` finished."""
    mark = folder.parent / COMPLETE_MARK
    return mark.exists() and mark.read_text(encoding="utf-8").strip() == str(n)


@dataclass
class Figures:
    chunks: int
    build_s: float
    ask_s: float
    ask_cpu_s: float
    ask_rss_mb: float
    search_p50_ms: float
    search_p95_ms: float
    add_file_s: float
    add_cpu_s: float
    noop_s: float
    noop_cpu_s: float
    docs_s: float
    disk_mb: float


Run = tuple[float, float, float]
"""Wall seconds, CPU seconds and peak RSS (MB) of one command."""


def _command(*args: str) -> Run:
    """Wall and CPU seconds and peak RSS of one citewise command; fails loudly if it fails."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        # Output goes to a file, not a pipe: a pipe nobody reads until the end fills up and
        # blocks a command that prints much (``docs`` of thousands of documents).
        process = subprocess.Popen([str(CITEWISE), *args], stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            raise SystemExit(
                f"citewise {' '.join(args)} failed ({process.returncode}):\n{output.read()}"
            )
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _median(runs: list[Run]) -> Run:
    wall, cpu, rss = zip(*runs, strict=True)
    return statistics.median(wall), statistics.median(cpu), statistics.median(rss)


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _search_times(folder: Path, questions: list[str]) -> tuple[float, float]:
    """Warm search p50 and p95 (ms)."""
    from app.composition import Components

    retriever = Components(load_settings(store_dir=folder)).retriever
    retriever.search(questions[0])
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.search(question)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), percentile(times, 95)


def measure(n: int, folder: Path, questions: list[str], squad: Path) -> Figures:
    build_s = float("nan")
    if not _complete(n, folder):
        started = time.perf_counter()
        build(n, folder, squad)
        build_s = time.perf_counter() - started
    # A kept index written by an older version is brought up to date here, not in a timed
    # command.
    ChunkStore.open(load_settings(store_dir=folder)).catch_up()
    store = ["--store", str(folder)]
    question = questions[len(questions) // 2]
    ask = _median([_command("ask", question, *store) for _ in range(3)])
    p50, p95 = _search_times(folder, questions)
    # A new name each run, so a kept index still gets a file it has not seen.
    new_file = folder.parent / f"field-note-{time.time_ns()}.txt"
    new_file.write_text(NEW_FILE_TEXT, encoding="utf-8")
    add = _command("ingest", str(new_file), "-q", *store)
    noop = _median([_command("ingest", str(new_file), "-q", *store) for _ in range(3)])
    docs = _median([_command("docs", *store) for _ in range(3)])
    return Figures(n, build_s, ask[0], ask[1], ask[2], p50, p95, add[0], add[1],
                   noop[0], noop[1], docs[0], _disk_mb(folder))  # fmt: skip


COLUMNS = (
    ("chunks", "chunks", "{:,}"),
    ("build_s", "build s", "{:.0f}"),
    ("ask_s", "cold ask s", "{:.2f}"),
    ("ask_cpu_s", "ask CPU s", "{:.2f}"),
    ("ask_rss_mb", "ask RSS MB", "{:.0f}"),
    ("search_p50_ms", "search p50 ms", "{:.0f}"),
    ("search_p95_ms", "search p95 ms", "{:.0f}"),
    ("add_file_s", "add 1 file s", "{:.2f}"),
    ("add_cpu_s", "add CPU s", "{:.2f}"),
    ("noop_s", "no-op s", "{:.2f}"),
    ("noop_cpu_s", "no-op CPU s", "{:.2f}"),
    ("docs_s", "docs s", "{:.2f}"),
    ("disk_mb", "disk MB", "{:.0f}"),
)
TARGETS = {"ask_s": 1.5, "ask_cpu_s": 1.5, "add_file_s": 1.5, "add_cpu_s": 1.5,
           "search_p95_ms": 2.0}  # fmt: skip
"""Most allowed ratio to the smallest index, at 100k chunks."""


def _cell(value: float, fmt: str) -> str:
    return "kept" if math.isnan(value) else fmt.format(value)


def table(rows: list[Figures]) -> str:
    """Markdown table of every figure, then each target's ratio to the smallest index."""
    lines = ["| " + " | ".join(title for _, title, _ in COLUMNS) + " |"]
    lines.append("|" + "---:|" * len(COLUMNS))
    for row in rows:
        cells = [_cell(getattr(row, key), fmt) for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    base = rows[0]
    lines.append("")
    for row in rows[1:]:
        ratios = ", ".join(
            f"{title} {getattr(row, key) / getattr(base, key):.2f}x (target <= {TARGETS[key]}x)"
            for key, title, _ in COLUMNS
            if key in TARGETS
        )
        lines.append(f"{row.chunks:,} vs {base.chunks:,} chunks: {ratios}; "
                     f"no-op re-ingest {row.noop_s:.2f} s (target < 2 s)")  # fmt: skip
    return "\n".join(lines)


def plot(rows: list[Figures], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r.chunks for r in rows]
    fig, (seconds, millis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (("ask_s", "cold ask"), ("add_file_s", "ingest 1 new file"),
                       ("noop_s", "no-op re-ingest"), ("docs_s", "docs")):  # fmt: skip
        seconds.plot(sizes, [getattr(r, key) for r in rows], marker="o", label=label)
    seconds.set(xscale="log", xlabel="chunks in the index", ylabel="seconds (wall)",
                title="Commands")  # fmt: skip
    seconds.set_ylim(bottom=0)
    for key, label in (("search_p50_ms", "search p50"), ("search_p95_ms", "search p95")):
        millis.plot(sizes, [getattr(r, key) for r in rows], marker="o", label=label)
    millis.set(xscale="log", xlabel="chunks in the index", ylabel="milliseconds",
               title="Warm retrieval (hybrid)")  # fmt: skip
    millis.set_ylim(bottom=0)
    for axes in (seconds, millis):
        axes.legend()
        axes.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", nargs=2, metavar=("N", "DIR"),
                        help="build one index of N chunks in DIR and stop")  # fmt: skip
    parser.add_argument("--million", action="store_true", help="also 1,000,000 chunks")
    parser.add_argument("--sizes", help="comma-separated chunk counts instead of the default")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--questions", type=int, default=200, help="searches timed per size")
    parser.add_argument("--plot", type=Path, default=Path("bench_scale.png"))
    parser.add_argument("--keep", type=Path, help="build the indexes here and keep them")
    args = parser.parse_args(argv)
    if args.build:
        build(int(args.build[0]), Path(args.build[1]), args.squad)
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    if args.million:
        sizes.append(MILLION)
    _, questions = _sentences(args.squad)
    questions = random.Random(1).sample(questions, args.questions)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temporary:
        root = args.keep or Path(temporary)
        for n in sizes:
            print(f"{n:,} chunks", file=sys.stderr)
            rows.append(measure(n, root / f"index-{n}" / "store", questions, args.squad))
            print(table(rows), file=sys.stderr)
    print(table(rows))
    plot(rows, args.plot)
    print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
