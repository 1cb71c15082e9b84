"""Cold ``citewise ask``: one question in a new process, as a user's first answer, beside a
baseline commit measured in the same run.

Each run starts a new Python process that answers one question on the bundled corpus (an index
built once, before timing), so every import and model load is paid; the operating system's file
cache is warm after the first run, as it is for a user's second question. The baseline is the
source tree of another commit (``git archive``), run with the same interpreter and packages, its
runs interleaved with the current tree's so both see the same load. Prints the wall time of each
tree and, from ``python -X importtime``, where its import time goes, by top-level package.

    python -m evals.bench.cold_ask [--runs 5] [--baseline REV] [--question TEXT]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
BASELINE_REV = "c03a3c9"
"""The last commit before the extractive path stopped importing LangChain (issue 20)."""
QUESTION = "When was ElyT-MaX created?"
GROUPS = {
    "langchain": "langchain",
    "langchain_core": "langchain",
    "langsmith": "langchain",
    "openai": "langchain",
    "tiktoken": "langchain",
    "torch": "torch",
    "functorch": "torch",
    "sympy": "torch",
    "mpmath": "torch",
    "networkx": "torch",
    "transformers": "transformers",
    "tokenizers": "transformers",
    "huggingface_hub": "transformers",
    "safetensors": "transformers",
    "sentence_transformers": "sentence_transformers",
    "sklearn": "scikit-learn + scipy",
    "scipy": "scikit-learn + scipy",
    "pandas": "pandas",
    "chromadb": "chromadb",
    "chromadb_rust_bindings": "chromadb",
    "onnxruntime": "chromadb",
    "opentelemetry": "chromadb",
    "numpy": "numpy",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "pydantic_settings": "pydantic",
    "app": "citewise",
    "ingest": "citewise",
    "retriever": "citewise",
}
RUNNER = "import sys; from app.cli import main; sys.argv = ['citewise', *sys.argv[1:]]; main()"


def ask_command(question: str, store: Path) -> list[str]:
    """The ``citewise ask`` process, run with the tree on PYTHONPATH."""
    return [sys.executable, "-c", RUNNER, "ask", question, "--store", str(store)]


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that makes ``tree`` the citewise that is imported (run in ``tree`` too:
    ``python -c`` puts the working folder first on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_")}
    env["PYTHONPATH"] = str(tree)
    return env


def extract(rev: str, into: Path) -> Path:
    """The source tree of ``rev``, unpacked from ``git archive``."""
    archive = into / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=out, check=True)
    tree = into / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def build_index(store: Path) -> None:
    command = [sys.executable, "-c", RUNNER, "ingest", str(CORPUS), "--store", str(store), "-q"]
    subprocess.run(command, cwd=ROOT, env=tree_env(ROOT), check=True, capture_output=True)


def timed_ask(tree: Path, question: str, store: Path) -> float:
    """Seconds one cold ``citewise ask`` takes; fails loudly if it did not answer."""
    started = time.perf_counter()
    done = subprocess.run(
        ask_command(question, store), cwd=tree, env=tree_env(tree), capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"citewise ask failed in {tree}:\n{done.stderr[-2000:]}")
    return elapsed


def import_breakdown(tree: Path, question: str, store: Path) -> dict[str, float]:
    """Seconds of import time by group (each module's own time, nested imports apart)."""
    command = ask_command(question, store)
    command.insert(1, "-Ximporttime")
    done = subprocess.run(command, cwd=tree, env=tree_env(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"citewise ask -X importtime failed in {tree}:\n{done.stderr[-2000:]}")
    groups: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if found:
            top = found.group(2).split(".")[0]
            groups[GROUPS.get(top, "other")] += int(found.group(1)) / 1e6
    return dict(groups)


def python_startup() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def cpu_note() -> str:
    flags = ""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
    found = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f" {f}" in flags]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({' '.join(found) or 'flags unknown'}), load average {load}"


def summary(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds):5.2f} s  min {min(seconds):5.2f} s"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold asks per tree")
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision to compare")
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args(argv)

    print(f"machine: {cpu_note()}")
    with tempfile.TemporaryDirectory(prefix="bench-cold-ask-") as tmp:
        work = Path(tmp)
        trees = {"current": ROOT, f"baseline {args.baseline}": extract(args.baseline, work)}
        store = work / "store"
        build_index(store)
        for tree in trees.values():
            timed_ask(tree, args.question, store)
        walls: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():
                walls[name].append(timed_ask(tree, args.question, store))
        imports = {
            name: import_breakdown(tree, args.question, store) for name, tree in trees.items()
        }
        startup = python_startup()

    print(f"cold 'citewise ask' on corpus/, {args.runs} runs each, interleaved:")
    for name, seconds in walls.items():
        print(f"  {name:24} {summary(seconds)}")
    base = statistics.median(walls[f"baseline {args.baseline}"])
    print(f"  current / baseline: {statistics.median(walls['current']) / base:.2f}")
    print(f"python start-up alone: {startup:.2f} s")
    print("import time by package (one -X importtime run each, s):")
    names = sorted({g for found in imports.values() for g in found},
                   key=lambda g: -max(found.get(g, 0.0) for found in imports.values()))  # fmt: skip
    print(f"  {'package':24} " + " ".join(f"{name:>22}" for name in trees))
    for group in names:
        cells = " ".join(f"{imports[name].get(group, 0.0):22.2f}" for name in trees)
        print(f"  {group:24} {cells}")
    totals = " ".join(f"{sum(imports[name].values()):22.2f}" for name in trees)
    print(f"  {'all imports':24} {totals}")
    rest = " ".join(
        f"{statistics.median(walls[name]) - startup - sum(imports[name].values()):22.2f}"
        for name in trees
    )
    print(f"  {'the rest (models, answer)':24} {rest}   (median wall - start-up - imports)")
    print(f"after: {cpu_note()}")


if __name__ == "__main__":
    main()
