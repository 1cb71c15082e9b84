"""The answer engine on the real pipeline: the corpus indexed, real embeddings, real Chroma."""

from __future__ import annotations

import re

import pytest
from parts import PartsFor

from app.answer import CANNOT_ANSWER, Answer
from app.engine import AnswerEngine
from app.errors import BackendError, EmptyIndexError
from ingest.errors import QueryError
from ingest.settings import Settings

pytestmark = pytest.mark.slow

FALSELY_REFUSED = pytest.mark.xfail(
    strict=True, reason="refused by the session-6 reader (answerability under the threshold)"
)


@pytest.fixture
def engine(insis_settings: Settings, parts_for: PartsFor) -> AnswerEngine:
    return parts_for(insis_settings).engine


def assert_citations_resolve(answer: Answer) -> None:
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert citation.quote and citation.quote in citation.passage.text


@pytest.mark.parametrize(
    ("question", "short", "in_text"),
    [
        pytest.param("How many IRP international research programmes does the INSIS run?",
                     "20", "20 IRP", id="number"),
        pytest.param("When was ElyT-MaX created?", "January 1, 2016", "created on", id="date"),
        pytest.param("Which company co-manages CINTRA?", "Thales", "Thales", id="organisation"),
        pytest.param("Where is ElyT-MaX based?", None, "Sendai", id="place"),
        pytest.param("Which laboratory does Sylvie Lorthois work at?", None,
                     "Institut de mécanique des fluides de Toulouse", id="person"),
        pytest.param("Why does the Sendai laboratory study how materials wear out over time?",
                     None, "life spans", id="paraphrase", marks=FALSELY_REFUSED),
        pytest.param("In which city is ElyT-MaX located?", None, "Sendai", id="city"),
        pytest.param("What does the ElyT-MaX laboratory study?", None,
                     "materials", id="topic"),
        pytest.param("With which Japanese university is the LIMMS run?", None,
                     "University of Tokyo", id="university"),
    ],
)  # fmt: skip
def test_factual_questions_are_answered_with_cited_sentences(
    engine: AnswerEngine, question: str, short: str | None, in_text: str
) -> None:
    answer = engine.answer(question)
    assert not answer.abstained and answer.backend == "extractive"
    assert in_text in answer.text
    if short is not None:
        assert answer.short_answer == short
    assert_citations_resolve(answer)


def test_list_question_is_answered_with_the_items_the_span_covers(engine: AnswerEngine) -> None:
    answer = engine.answer("What are the four objectives of the INSIS international strategy?")
    items = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(items) >= 2 and all(item.endswith("[1].") for item in items)
    assert_citations_resolve(answer)


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("At what temperature does water boil at sea level?", id="unrelated"),
        pytest.param("Who won the Nobel Prize in Physics in 2018?", id="unrelated-name"),
    ],
)  # fmt: skip
def test_questions_the_corpus_cannot_answer_are_refused(
    engine: AnswerEngine, question: str
) -> None:
    answer = engine.answer(question)
    assert answer.abstained
    assert answer.text.startswith(CANNOT_ANSWER)
    assert answer.citations, "a refusal offers the closest passages"
    assert_citations_resolve(answer)


def test_answer_reports_stage_timings_score_and_query(engine: AnswerEngine) -> None:
    answer = engine.answer("When was ElyT-MaX created?")
    assert {"retrieve", "answer", "total"} <= set(answer.timings_ms)
    assert 0.0 <= answer.answerability <= 1.0
    assert answer.search_query == "When was ElyT-MaX created?"


def test_a_set_abstain_threshold_replaces_the_calibrated_ones_without_reading_the_text_kind(
    insis_settings: Settings, monkeypatch: pytest.MonkeyPatch, parts_for: PartsFor
) -> None:
    engine = parts_for(insis_settings.model_copy(update={"abstain_threshold": 1.0})).engine
    monkeypatch.setattr(engine.gate.models, "text_kind", None)
    answer = engine.answer("When was ElyT-MaX created?")
    assert answer.abstained and engine.gate.threshold(0.0) == engine.gate.threshold(1.0) == 1.0


def test_stream_ends_with_the_final_answer(engine: AnswerEngine) -> None:
    answers = list(engine.stream("When was ElyT-MaX created?"))
    assert answers[-1].text == engine.answer("When was ElyT-MaX created?").text


def test_only_the_extractive_backend_without_llm_settings(engine: AnswerEngine) -> None:
    assert engine.backends() == ["extractive"]
    with pytest.raises(BackendError, match="llm_base_url"):
        engine.answer("When was ElyT-MaX created?", backend="llm")
    with pytest.raises(BackendError, match="Unknown answer backend"):
        engine.answer("When was ElyT-MaX created?", backend="oracle")


@pytest.mark.parametrize("question", ["", "   \n"])
def test_empty_question_is_a_query_error(engine: AnswerEngine, question: str) -> None:
    with pytest.raises(QueryError):
        engine.answer(question)


def test_empty_index_says_how_to_fill_it(settings: Settings, parts_for: PartsFor) -> None:
    with pytest.raises(EmptyIndexError, match="citewise ingest corpus/"):
        parts_for(settings).engine.answer("When was ElyT-MaX created?")
