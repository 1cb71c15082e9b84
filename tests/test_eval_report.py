"""Scoring one answer, summarising, the gate and the report, on hand-made answers (no engine)."""

from __future__ import annotations

import json

import pytest

from app.answer import CANNOT_ANSWER, Answer, Backend, Citation
from evals.suite.dataset import parse_item
from evals.suite.report import change, summary_table, write_report
from evals.suite.runner import by_category, score, summarise
from evals.suite.thresholds import gate_failures, load_thresholds
from retriever.passage import Passage

TEXT = "ElyT-MaX was created on January 1, 2016. It is based in Sendai, Japan."
PASSAGE = Passage("d", "INSIS", "corpus/x.md", TEXT, 0, len(TEXT), ("Latest",), None, 1.0)
DATED = parse_item(
    {
        "id": "date",
        "category": "date",
        "question": "When was ElyT-MaX created?",
        "answerable": True,
        "reference": "ElyT-MaX was created on January 1, 2016.",
        "facts": [["2016"]],
        "evidence": ["ElyT-MaX was created on January 1, 2016."],
    },
    "test",
)
BUDGET = parse_item(
    {"id": "budget", "category": "unanswerable", "question": "Budget?", "answerable": False},
    "test",
)


def answer(text: str, abstained: bool = False, cited: bool = True) -> Answer:
    citations = [Citation(1, PASSAGE, "ElyT-MaX was created on January 1, 2016.")] if cited else []
    return Answer(
        "q", text, citations, abstained, Backend.EXTRACTIVE, passages=[PASSAGE], answerability=0.9
    )


def test_a_correct_cited_answer_passes_every_check():
    result = score(DATED, answer("ElyT-MaX was created on January 1, 2016 [1]."), 12.0)
    assert (result.rank, result.correct, result.citation_recall, result.citation_precision) == (
        1,
        True,
        1.0,
        1.0,
    )
    assert result.failed == []


def test_failed_checks_are_named():
    wrong = score(DATED, answer("ElyT-MaX was created in 2015 [1]."), 12.0)
    assert wrong.failed == [
        "missing facts: 2016",
        "unsupported sentence",
        "citation does not support its sentence",
    ]
    refused = score(DATED, answer(CANNOT_ANSWER, abstained=True, cited=False), 5.0)
    assert refused.failed == ["refused an answerable question"]
    answered = score(BUDGET, answer("It was created in 2016 [1]."), 5.0)
    assert answered.failed == ["answered an unanswerable question"]
    mixed = score(BUDGET, answer(CANNOT_ANSWER, abstained=False, cited=False), 5.0)
    assert mixed.refused and mixed.failed == ["abstention flag and sentence disagree"]


@pytest.fixture
def result():
    results = [
        score(DATED, answer("ElyT-MaX was created on January 1, 2016 [1]."), 10.0),
        score(DATED, answer(CANNOT_ANSWER, abstained=True, cited=False), 30.0),
        score(BUDGET, answer(CANNOT_ANSWER, abstained=True, cited=False), 20.0),
    ]
    return {
        "dataset": "d.jsonl",
        "backend": "extractive",
        "abstain_threshold": 0.5,
        "abstain_threshold_informal": 0.4,
        "metrics": summarise(results),
        "by_category": by_category(results),
        "questions": [r.to_json() for r in results],
    }


def test_summary_has_the_flat_metric_keys(result):
    metrics = result["metrics"]
    assert metrics["answer.correctness"] == 0.5
    assert metrics["abstention.refusal_rate"] == 1.0
    assert metrics["abstention.false_refusal_rate"] == 0.5
    assert metrics["citations.recall"] == 1.0
    assert metrics["retrieval.hit@1"] == metrics["retrieval.mrr"] == 1.0
    assert metrics["latency.p50_ms"] == 20.0
    assert result["by_category"]["date"]["correctness"] == 0.5


def test_report_is_self_contained_and_lists_failures_first(result, tmp_path):
    baseline = dict(result["metrics"], **{"answer.correctness": 0.75})
    page = write_report(json.loads(json.dumps(result)), tmp_path, baseline)
    html = page.read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "<script" not in html and 'src="http' not in html
    md = (tmp_path / "report.md").read_text()
    assert md.index("refused an answerable question") < md.index("| budget |")
    assert "-0.250 (worse)" in md
    assert "abstain threshold 0.500 (edited prose) to 0.400 (informal text)" in md
    assert (tmp_path / "answerability.png").stat().st_size > 1000


def test_changes_know_which_direction_is_better():
    assert change("answer.correctness", 0.9, 0.8) == "+0.100 (better)"
    assert change("latency.p95_ms", 120.0, 100.0) == "+20.0 (worse)"
    assert change("abstention.false_refusal_rate", 0.0, 0.1) == "-0.100 (better)"
    assert change("answer.f1", 0.5, None) == "-"
    assert "baseline" in summary_table({"answer.f1": 0.5}, {"answer.f1": 0.4})


def test_gate_reports_each_metric_outside_its_bound(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        '[min]\n"answer.f1" = 0.6\n"citations.recall" = 0.9\n[max]\n"latency.p95_ms" = 50\n'
    )
    failures = gate_failures({"answer.f1": 0.5, "latency.p95_ms": 60.0}, load_thresholds(path))
    assert failures == [
        "answer.f1 = 0.500, below its min 0.6",
        "citations.recall: missing (bound 0.9)",
        "latency.p95_ms = 60.000, above its max 50.0",
    ]
