"""The quality gate: the bundled dataset on the real pipeline must stay within its thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from evals.suite.dataset import DEFAULT_DATASET
from evals.suite.evaluation import EvalOptions, run_eval
from evals.suite.thresholds import DEFAULT_THRESHOLDS, gate_failures, load_thresholds

GATE_SQUAD_SAMPLE = 200
"""SQuAD 2.0 slice questions the gate asks (the same fixed sample on every run)."""
KEYS = (
    "retrieval.hit@1", "retrieval.hit@5", "retrieval.mrr", "answer.correctness", "answer.f1",
    "citations.precision", "citations.recall", "abstention.refusal_rate",
    "abstention.false_refusal_rate", "latency.p50_ms", "latency.p95_ms", "squad.hit@1",
    "squad.hasans_f1", "squad.noans_refusal_rate", "squad.hasans_false_refusal_rate",
)  # fmt: skip


@pytest.mark.slow
def test_bundled_dataset_meets_its_thresholds(insis_store_dir: Path, tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "result.json"
    args = ["eval", "--store", str(insis_store_dir), "--json", str(out), "-q"]
    args += ["--squad", "--sample", str(GATE_SQUAD_SAMPLE)]
    outcome = runner.invoke(cli, [*args, "--report", str(tmp_path / "report")])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(out.read_text())
    assert set(KEYS) <= set(result["metrics"])
    assert len(result["questions"]) == len(DEFAULT_DATASET.read_text().splitlines())
    assert (tmp_path / "report" / "report.html").stat().st_size > 10_000
    failures = gate_failures(result["metrics"], load_thresholds(DEFAULT_THRESHOLDS))
    assert failures == [], "\n".join(failures) + "\n" + outcome.output


def test_a_user_dataset_needs_its_documents(tmp_path: Path):
    dataset = tmp_path / "mine.jsonl"
    dataset.write_text('{"id": "a", "question": "Q?", "answerable": false}\n')
    outcome = CliRunner().invoke(cli, ["eval", str(dataset)])
    assert outcome.exit_code == 1
    assert "Which documents is" in outcome.output and "--docs FOLDER" in outcome.output


def test_a_malformed_dataset_is_reported_before_any_work(tmp_path: Path):
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text('{"id": "a", "question": "Q?"}\n')
    outcome = CliRunner().invoke(cli, ["eval", str(dataset), "--docs", str(tmp_path)])
    assert outcome.exit_code == 1
    assert "line 1 (id 'a'): missing field 'answerable'" in outcome.output


def test_run_eval_rejects_an_empty_store(tmp_path: Path):
    from ingest.errors import CitewiseError
    from ingest.settings import load_settings
    from ingest.store import ChunkStore

    ChunkStore.open(load_settings(store_dir=tmp_path))  # an index with no document
    with pytest.raises(CitewiseError, match="is empty"):
        run_eval(EvalOptions(store=tmp_path))
