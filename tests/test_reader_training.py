"""Training data for the reader: a stable article split, paired negatives that do not answer,
window labels that point at the answer, and a training run that resumes from its checkpoint."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from app.reader.model import tokenizer
from evals.training import train
from evals.training.data import Article, Example, Paragraph, is_heldout, paired_negative, split
from evals.training.features import EXTRA_WINDOWS, encode


def article(title: str, *contexts: str) -> Article:
    return Article("test", title, [Paragraph(c, []) for c in contexts])


def example(question: str, context: str, answer: str | None) -> Example:
    start = context.index(answer) if answer else None
    return Example("id", "test", "t", question, context, answer, start)


def test_the_held_out_split_is_by_whole_article_and_stable() -> None:
    articles = [article(f"A{i}", "text") for i in range(400)]
    train_part, heldout = split(articles, 0.1)
    assert {a.key for a in train_part}.isdisjoint(a.key for a in heldout)
    assert 15 < len(heldout) < 70
    assert [a.key for a in heldout] == [a.key for a in split(articles, 0.1)[1]]
    assert all(is_heldout(a, 0.1) for a in heldout)


def test_a_paired_negative_is_the_closest_paragraph_without_the_answer() -> None:
    gold = "The Auk lighthouse was built in 1874."
    near = "The Auk lighthouse is painted red every year."
    far = "Puffins nest on the cliffs."
    holds_answer_too = "Since 1874 ships have passed safely."
    source = article("Auk", gold, near, far, holds_answer_too)
    negative = paired_negative(
        source, example("When was the Auk lighthouse built?", gold, "1874"), random.Random(0)
    )
    assert negative is not None and negative.paired
    assert negative.context == near and negative.answer_start is None


def test_window_labels_point_at_the_answer_and_long_contexts_keep_few_empty_windows() -> None:
    tok = tokenizer(max_length=128, stride=32)
    context = " ".join(f"Line {i} talks about nothing much." for i in range(120))
    context += " The keeper was Ann Reid."
    features = encode(tok, [example("Who was the keeper?", context, "Ann Reid")], 0)
    answering = [f for f in features if f.start > 0]
    assert len(answering) >= 1
    answer_ids = answering[0].input_ids[answering[0].start : answering[0].end + 1]
    assert answer_ids == tok.windows([""], ["Ann Reid"]).input_ids[0][2:-1]
    assert len(features) - len(answering) <= EXTRA_WINDOWS
    (unanswerable,) = encode(tok, [example("Who?", "Short text.", None)], 0)
    assert (unanswerable.start, unanswerable.end) == (0, 0)


@pytest.mark.slow
def test_training_writes_checkpoints_and_resumes_from_them(tmp_path: Path) -> None:
    args = ["--out", str(tmp_path), "--weights", str(tmp_path / "reader.safetensors")]
    args += [
        "--scale",
        "0.0005",
        "--eval-size",
        "4",
        "--checkpoint-every",
        "1",
        "--batch-size",
        "4",
    ]
    train.main([*args, "--max-steps", "2"])
    train.main([*args, "--max-steps", "3"])
    events = [json.loads(line) for line in (tmp_path / "train.log").read_text().splitlines()]
    assert {"event": "resumed", "step": 2}.items() <= next(
        e for e in events if e["event"] == "resumed"
    ).items()
    assert [e["steps"] for e in events if e["event"] == "saved"] == [2, 3]
    assert (tmp_path / "reader.safetensors").stat().st_size > 1_000_000
