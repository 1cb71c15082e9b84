"""Answers people can trust, on the bundled corpus with the shipped reader and calibration:
a question the documents do not answer is refused, a quote is whole sentences, and a question
asking two things gets both."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from parts import PartsFor

from app.answer import CANNOT_ANSWER, Answer
from app.composition import Components, Models
from app.engine import AnswerEngine
from ingest.settings import Settings, load_settings
from ingest.sync import sync_paths
from ingest.text.sentences import sentence_spans

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(insis_store_dir: Path, models: Models) -> AnswerEngine:
    return Components(load_settings(store_dir=insis_store_dir), models=models).engine


def assert_whole_sentences(answer: Answer) -> None:
    """Each quote starts and ends on sentence (or list item) boundaries of its passage, and
    the short answer lies inside the quotes."""
    for citation in answer.citations:
        text = citation.passage.text
        start = citation.quote_start
        spans = sentence_spans(text)
        assert start in {s for s, _ in spans}, citation.quote
        assert start + len(citation.quote) in {e for _, e in spans}, citation.quote
    if answer.short_answer:
        for part in answer.short_answer.split("; "):
            assert any(part in c.quote for c in answer.citations)


def test_a_count_is_quoted_from_the_whole_sentence_that_gives_it(engine: AnswerEngine) -> None:
    answer = engine.answer("How many IRP does the INSIS have?")
    assert not answer.abstained
    assert answer.text.startswith("With its 6 IRL International research laboratories")
    assert "its 20 IRP International research programmes" in answer.text
    assert_whole_sentences(answer)


@pytest.mark.xfail(
    strict=True, reason="the reader marks 'more than 30' (countries) as the short answer"
)
def test_the_short_answer_of_a_count_is_the_count_asked_for(engine: AnswerEngine) -> None:
    answer = engine.answer("How many IRP does the INSIS have?")
    assert answer.short_answer is not None and "20" in answer.short_answer


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(
            "What is the capital of Australia?",
            id="off-topic",
            marks=pytest.mark.xfail(
                strict=True,
                reason="answered from the sentence naming Australia among partner countries",
            ),
        ),
        pytest.param("What is the annual budget of the INSIS?", id="absent-figure"),
    ],
)
def test_questions_the_corpus_does_not_answer_are_refused(
    engine: AnswerEngine, question: str
) -> None:
    answer = engine.answer(question)
    assert answer.abstained and answer.text.startswith(CANNOT_ANSWER)


def test_a_passage_on_another_subject_does_not_answer(
    insis_store_dir: Path, tmp_path: Path, parts_for: PartsFor
) -> None:
    """An unrelated document sharing the question's words ("annual") is not an answer."""
    store = tmp_path / "store"
    shutil.copytree(insis_store_dir, store)
    extra = tmp_path / "docs"
    extra.mkdir()
    (extra / "pricing.md").write_text(
        "# Pricing\n\nAnnual billing gives a 15% discount on every plan. "
        "Monthly billing can be cancelled at any time.\n",
        encoding="utf-8",
    )
    settings = Settings(store_dir=store)
    assert not sync_paths([extra], settings).failed
    answer = parts_for(settings).engine.answer("What is the annual budget of the INSIS?")
    assert answer.abstained, answer.text


def test_both_parts_of_a_two_part_question_are_answered_and_cited(engine: AnswerEngine) -> None:
    answer = engine.answer(
        "where is the LN2 laboratory located and which company has a joint lab with it?"
    )
    assert not answer.abstained
    assert "Sherbrooke" in answer.text and "St Microelectronics" in answer.text
    assert [c.n for c in answer.citations] == [1, 2]
    assert "[1]" in answer.text.splitlines()[0] and "[2]" in answer.text.splitlines()[1]
    assert_whole_sentences(answer)


def test_a_part_the_documents_do_not_answer_is_said_to_be_not_found(
    engine: AnswerEngine,
) -> None:
    answer = engine.answer("When was ElyT-MaX created and what is the annual budget of the INSIS?")
    assert not answer.abstained
    first, second = answer.text.splitlines()
    assert "2016" in first and "[1]" in first
    assert second == (
        'Not found for "What is the annual budget of the INSIS?": '
        "the documents do not contain an answer to this question."
    )
    assert [c.n for c in answer.citations] == [1]
