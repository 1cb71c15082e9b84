"""Build the index an evaluation needs, run it, and assemble the JSON result.

Without a store, the eval indexes the documents in a temporary folder (by default the bundled
``corpus/``), so a run never touches the user's index and always measures the current code.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.composition import Components, Models
from evals.suite.dataset import DEFAULT_DATASET, load_dataset
from evals.suite.errors import DatasetError
from evals.suite.runner import by_category, run_dataset, summarise
from ingest.errors import CitewiseError
from ingest.settings import Settings, load_settings

DEFAULT_DOCS = Path(__file__).resolve().parents[2] / "corpus"
ProgressFactory = Callable[[str], Callable[[int, int], None] | None]


@dataclass(frozen=True)
class EvalOptions:
    dataset: Path = DEFAULT_DATASET
    backend: str | None = None
    store: Path | None = None
    docs: tuple[Path, ...] = ()
    squad: Path | None = None
    sample: int | None = None


@contextmanager
def temporary_index(paths: Sequence[Path], base: Settings, models: Models) -> Iterator[Settings]:
    """Settings pointing at a fresh embedded index of ``paths``, deleted afterwards."""
    from ingest.sync import sync_paths

    with tempfile.TemporaryDirectory(prefix="citewise-eval-") as tmp:
        settings = base.model_copy(update={"store_dir": Path(tmp) / "index", "chroma_url": None})
        report = sync_paths(list(paths), settings, embedder=models.embedder(settings))
        if report.failed:
            problems = "; ".join(f"{path}: {message}" for path, message in report.failed)
            raise CitewiseError(f"Could not index the eval documents: {problems}")
        yield settings


@contextmanager
def dataset_index(options: EvalOptions, base: Settings, models: Models) -> Iterator[Settings]:
    if options.store is not None:
        yield base.model_copy(update={"store_dir": options.store})
        return
    docs = options.docs or (DEFAULT_DOCS,)
    if not options.docs and options.dataset.resolve() != DEFAULT_DATASET:
        raise DatasetError(
            f"Which documents is {options.dataset} about?",
            "pass --docs FOLDER (indexed in a temporary store) or --store DIR (an existing index)",
        )
    missing = [str(p) for p in docs if not p.exists()]
    if missing:
        raise DatasetError(f"Documents not found: {', '.join(missing)}")
    with temporary_index(docs, base, models) as settings:
        yield settings


def run_eval(options: EvalOptions, progress: ProgressFactory | None = None) -> dict[str, Any]:
    """Run the dataset (and SQuAD when asked) and return the JSON-ready result."""
    progress = progress or (lambda _: None)
    items = load_dataset(options.dataset)
    base = load_settings(backend=options.backend)
    models = Models(base.reader_runtime, base.model_cache_dir)
    with dataset_index(options, base, models) as settings:
        parts = Components.existing(settings, models)
        if not parts.store.has_documents():
            raise CitewiseError(
                f"The index in {settings.store_dir} is empty",
                f"run 'citewise ingest FOLDER --store {settings.store_dir}' first",
            )
        engine = parts.engine
        results = run_dataset(engine, items, options.backend, progress("questions"))
        thresholds = engine.gate.threshold(0.0), engine.gate.threshold(1.0)
        parts.close()
    result: dict[str, Any] = {
        "dataset": str(options.dataset),
        "backend": options.backend or base.backend,
        "abstain_threshold": thresholds[0],
        "abstain_threshold_informal": thresholds[1],
        "metrics": summarise(results),
        "by_category": by_category(results),
        "questions": [r.to_json() for r in results],
    }
    if options.squad is not None:
        result["squad"] = run_squad_file(options.squad, options, base, models, progress)
        result["metrics"].update(result["squad"].pop("metrics"))
    return result


def run_squad_file(
    path: Path, options: EvalOptions, base: Settings, models: Models, progress: ProgressFactory
) -> dict[str, Any]:
    from evals.suite.squad_data import asked_about, read_squad, sample, write_articles
    from evals.suite.squad_run import run_squad, summarise_squad

    articles, questions = read_squad(path)
    chosen = sample(questions, options.sample)
    if not chosen:
        raise DatasetError(f"SQuAD file {path} has no questions")
    with tempfile.TemporaryDirectory(prefix="citewise-squad-") as tmp:
        paths = write_articles(asked_about(articles, chosen), Path(tmp) / "articles")
        with temporary_index(paths, base, models) as settings:
            parts = Components(settings, models=models)
            results = run_squad(parts.engine, chosen, options.backend, progress("SQuAD questions"))
            parts.close()
    return {
        "file": str(path),
        "sample": options.sample,
        "metrics": summarise_squad(results),
        "questions": [r.to_json() for r in results],
    }


def read_baseline(path: Path) -> dict[str, float | None]:
    """The ``metrics`` object of an earlier JSON result."""
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))["metrics"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CitewiseError(
            f"Cannot read baseline {path}: {exc}", "give a file written by --json"
        ) from None
    if not isinstance(metrics, dict):
        raise CitewiseError(f"Baseline {path} has no metrics object")
    return metrics
