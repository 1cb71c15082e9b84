"""The bundled dataset is well formed and grounded; malformed files fail with a useful message."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from paths import CORPUS

from evals.suite.dataset import DEFAULT_DATASET, load_dataset, missing_evidence
from evals.suite.errors import DatasetError


@pytest.fixture(scope="module")
def items():
    return load_dataset(DEFAULT_DATASET)


def test_every_evidence_quote_is_an_exact_substring_of_the_corpus(items):
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md"))]
    exact = [(i.id, q) for i in items for q in i.evidence if not any(q in t for t in texts)]
    assert exact == []
    assert missing_evidence(items, texts) == []


def test_bundled_dataset_covers_every_kind_of_question(items):
    counts = Counter(item.category for item in items)
    assert len(items) >= 55
    assert counts["unanswerable"] >= 12
    for category in (
        "fact",
        "number",
        "date",
        "list",
        "paraphrase",
        "multi_span",
        "follow_up",
        "french",
    ):
        assert counts[category] >= 3, category
    assert all(len(i.turns) > 1 for i in items if i.category == "follow_up")
    assert all(len(i.evidence) > 1 for i in items if i.category == "multi_span")


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = (
    '{"id": "a", "question": "Q?", "answerable": true, '
    '"facts": [["46", "forty-six"]], "evidence": ["x"]}'
)


def test_single_question_and_turns_are_read_alike(tmp_path):
    path = _write(
        tmp_path,
        "# comments and blank lines are skipped",
        "",
        GOOD,
        '{"id": "b", "turns": ["First?", "Then?"], "answerable": false}',
    )
    first, second = load_dataset(path)
    assert (first.question, first.earlier_turns, first.category) == ("Q?", (), "general")
    assert first.facts == (("46", "forty-six"),)
    assert (second.question, second.earlier_turns, second.answerable) == (
        "Then?",
        ("First?",),
        False,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("{not json", "line 1: not valid JSON", id="bad-json"),
        pytest.param(
            '{"question": "Q?", "answerable": false}', "line 1: missing field 'id'", id="no-id"
        ),
        pytest.param(
            '{"id": "a", "answerable": false}', "exactly one of 'question'", id="no-question"
        ),
        pytest.param(
            '{"id": "a", "question": "Q?"}', "missing field 'answerable'", id="no-answerable"
        ),
        pytest.param(
            '{"id": "a", "question": "Q?", "answerable": true, "evidence": ["x"]}',
            "needs 'facts'",
            id="answerable-without-facts",
        ),
        pytest.param(
            '{"id": "a", "question": "Q?", "answerable": true, "facts": ["x"]}',
            "needs 'evidence'",
            id="answerable-without-evidence",
        ),
        pytest.param(
            '{"id": "a", "question": "Q?", "answerable": false, "facts": [["x"]]}',
            "must have no 'facts'",
            id="unanswerable-with-facts",
        ),
        pytest.param(
            '{"id": "a", "question": "Q?", "answerable": false, "answer": "x"}',
            "unknown field(s) answer",
            id="unknown-field",
        ),
    ],
)
def test_malformed_entries_name_their_line_and_field(tmp_path, line, message):
    with pytest.raises(DatasetError) as info:
        load_dataset(_write(tmp_path, line))
    assert message in str(info.value)


def test_duplicate_ids_point_to_the_first_use(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_dataset(_write(tmp_path, GOOD, GOOD))
    assert "line 2: id 'a' already used on line 1" in str(info.value)


def test_missing_file_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="Cannot read dataset"):
        load_dataset(tmp_path / "nope.jsonl")
