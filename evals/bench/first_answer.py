"""The first answer of a freshly started chat, with and without loading the models at start.

``citewise chat`` loads the embedder and the reader in a background thread as it starts
(``app.web.warmup``), while the page opens and the question is typed. This times, each in a
fresh process on the bundled corpus, the first answer as a chat without that load gives it
(the baseline: the models load inside the first question) and as the chat gives it now (the
question asked once the background load is done), with the load's own duration.

    python -m evals.bench.first_answer [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "When was ElyT-MaX created?"


def first_answer(store_dir: str, warm: bool) -> dict[str, float]:
    """In this process: open the engine, optionally load the models, time one answer."""
    from app.composition import Components
    from app.web.warmup import Warmup, load_models
    from ingest.settings import Settings

    parts = Components(Settings(store_dir=Path(store_dir)))
    engine = parts.engine
    loaded_in = 0.0
    if warm:
        started = time.perf_counter()
        Warmup(load_models(parts)).start().wait()
        loaded_in = time.perf_counter() - started
    started = time.perf_counter()
    answer = engine.answer(QUESTION)
    assert "2016" in answer.text, answer.text
    return {"answer_s": time.perf_counter() - started, "load_s": loaded_in}


def run_fresh(store_dir: Path, warm: bool) -> dict[str, float]:
    code = (
        "import json, sys; from evals.bench.first_answer import first_answer; "
        f"print(json.dumps(first_answer({str(store_dir)!r}, {warm})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per variant")
    args = parser.parse_args(argv)
    from ingest.settings import Settings
    from ingest.sync import sync_paths

    with tempfile.TemporaryDirectory() as tmp:
        store_dir = Path(tmp) / "insis"
        sync_paths([ROOT / "corpus"], Settings(store_dir=store_dir))
        cold = [run_fresh(store_dir, warm=False) for _ in range(args.runs)]
        warm = [run_fresh(store_dir, warm=True) for _ in range(args.runs)]
    baseline = statistics.median(r["answer_s"] for r in cold)
    now = statistics.median(r["answer_s"] for r in warm)
    load = statistics.median(r["load_s"] for r in warm)
    print(f"first answer, models loaded by the question (baseline): {baseline:6.2f} s")
    print(f"first answer, models loaded in the background at start:  {now:6.2f} s")
    print(f"background load at start (while the page opens):          {load:6.2f} s")
    print(f"medians of {args.runs} fresh processes each")


if __name__ == "__main__":
    main()
