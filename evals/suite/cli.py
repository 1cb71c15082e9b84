"""``citewise eval``: run an evaluation dataset through the real pipeline and report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click

from evals.suite.dataset import DEFAULT_DATASET
from evals.suite.squad_data import DEFAULT_SQUAD


@click.command("eval")
@click.argument(
    "dataset", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--backend", default=None, help="Answer backend (extractive, llm); default: setting.")
@click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Evaluate against this existing index instead of a temporary one.",
)
@click.option(
    "--docs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Files or folders the dataset is about, indexed in a temporary store "
    "(default: the bundled corpus/, for the bundled dataset).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the full result (metrics + every question) as JSON.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write report.md and a self-contained report.html with plots here.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="An earlier --json result: show each metric's change.",
)
@click.option(
    "--squad",
    type=click.Path(path_type=Path, dir_okay=False),
    is_flag=False,
    flag_value=str(DEFAULT_SQUAD),
    default=None,
    help="Also run a SQuAD v2.0 file (alone: the shared slice) in a temporary index.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=None,
    help="Ask only N SQuAD questions (fixed seed).",
)
@click.option(
    "--thresholds",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Fail (exit 1) if a metric is outside these bounds, e.g. evals/thresholds.toml.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def eval_command(
    dataset: Path | None,
    backend: str | None,
    store: Path | None,
    docs: tuple[Path, ...],
    json_out: Path | None,
    report_dir: Path | None,
    baseline: Path | None,
    squad: Path | None,
    sample: int | None,
    thresholds: Path | None,
    quiet: bool,
) -> None:
    """Measure retrieval, answers, citations, abstention and latency on a question set.

    DATASET is a JSONL file of questions (default: the bundled questions about corpus/).
    Without --store, the documents are indexed in a temporary folder first.

    \b
    Examples:
      citewise eval --report eval-report
      citewise eval --json new.json --baseline old.json
      citewise eval my-questions.jsonl --docs my-docs/
      citewise eval --squad --sample 500 --json squad.json
    """
    from evals.suite.evaluation import EvalOptions, read_baseline, run_eval
    from evals.suite.report import summary_table, write_report
    from evals.suite.thresholds import gate_failures, load_thresholds

    old = read_baseline(baseline) if baseline else None
    bounds = load_thresholds(thresholds) if thresholds else None
    options = EvalOptions(
        dataset=dataset or DEFAULT_DATASET,
        backend=backend,
        store=store,
        docs=docs,
        squad=Path(squad) if squad else None,
        sample=sample,
    )
    result = run_eval(options, progress=None if quiet else _progress)
    click.echo(summary_table(result["metrics"], old))
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        click.echo(f"Result: {json_out}")
    if report_dir:
        click.echo(f"Report: {write_report(result, report_dir, old)}")
    if bounds is not None:
        failures = gate_failures(result["metrics"], bounds)
        for line in failures:
            click.echo(f"FAIL {line}", err=True)
        if failures:
            raise click.exceptions.Exit(1)


def _progress(label: str) -> Callable[[int, int], None]:
    """A progress callback drawing a one-line bar on stderr."""

    def tell(done: int, total: int) -> None:
        filled = 30 * done // total
        bar = "#" * filled + "." * (30 - filled)
        click.echo(f"\r{label}: [{bar}] {done}/{total}", nl=done == total, err=True)

    return tell
