"""The extractive answerer on hand-built passages of the corpus (no index, no model)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.extractive import AnswerType, ExtractiveAnswerer, parse_question
from app.extractive.compose import mark
from retriever.passage import Passage

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "cnrs-insis-international.md"


def section_passages() -> list[Passage]:
    """The corpus cut at its ## and ### headings, each section one passage."""
    text = CORPUS.read_text(encoding="utf-8")
    cuts = [0, *(m.start() for m in re.finditer(r"^#{2,3} ", text, re.M)), len(text)]
    passages = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        body = text[start:end].rstrip()
        if body:
            passages.append(
                Passage(
                    "insis", "INSIS", str(CORPUS), body, start, start + len(body), (), None, 0.0
                )
            )
    return passages


PASSAGES = section_passages()


def ask(question: str):
    answerer = ExtractiveAnswerer()
    return answerer.answer(answerer.analyse(question, PASSAGES))


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        pytest.param("How many IRL does the INSIS have?", AnswerType.NUMBER, id="how-many"),
        pytest.param("When was ElyT-MaX created?", AnswerType.DATE, id="when"),
        pytest.param("In what year was the ERC unit set up?", AnswerType.DATE, id="what-year"),
        pytest.param("Where is ElyT-MaX based?", AnswerType.PLACE, id="where"),
        pytest.param(
            "Which company co-manages CINTRA?", AnswerType.ORGANISATION, id="which-company"
        ),
        pytest.param("Which four countries are targeted?", AnswerType.LIST, id="which-four"),
        pytest.param("Who won an ERC Consolidator Grant?", AnswerType.PERSON, id="who"),
        pytest.param("Combien de laboratoires IRL ?", AnswerType.NUMBER, id="combien"),
        pytest.param("Why does the lab study materials?", AnswerType.OTHER, id="why"),
    ],
)
def test_question_type_is_detected(question: str, kind: AnswerType) -> None:
    assert parse_question(question).answer_type is kind


@pytest.mark.parametrize(
    ("question", "short", "in_text"),
    [
        pytest.param("How many IRP international research programmes does the INSIS run?",
                     "20", "20 IRP", id="number-next-to-its-noun"),
        pytest.param("How many IRN networks does the INSIS have?", "8", "8 IRN", id="other-number"),
        pytest.param("When was ElyT-MaX created?", "January 1, 2016", "January 1, 2016", id="date"),
        pytest.param("In what year was the ERC unit set up?", "2014", "set up in 2014", id="year"),
        pytest.param("Which company co-manages CINTRA?", "Thales", "co-managed with Thales",
                     id="organisation"),
        pytest.param("With how many countries does the INSIS collaborate?", "more than 30",
                     "30 countries", id="qualified-number"),
    ],
)  # fmt: skip
def test_factual_question_gets_its_short_answer(question: str, short: str, in_text: str) -> None:
    answer = ask(question)
    assert answer.short_answer == short
    assert in_text in answer.text


def test_list_question_gets_the_intro_and_every_item() -> None:
    answer = ask("What are the four objectives of the INSIS international strategy?")
    lines = answer.text.splitlines()
    assert lines[0].endswith("four objectives [1]:")
    assert len(lines) == 5 and all(line.startswith("- ") and "[1]" in line for line in lines[1:])
    assert answer.short_answer is not None and answer.short_answer.count("; ") == 3


def test_inline_list_becomes_the_short_answer() -> None:
    answer = ask("Which four countries does the INSIS target for its future international actions?")
    assert answer.short_answer == "Australia, South Korea, India and Taiwan"


def test_pronoun_sentence_comes_with_the_sentence_it_refers_to() -> None:
    answer = ask("Which universities does ElyT-MaX bring together?")
    assert "ElyT-MaX was created on January 1, 2016" in answer.text
    assert "University of Lyon and Tohoku University" in answer.text


def test_citations_resolve_and_quote_their_passage() -> None:
    for question in ("When was ElyT-MaX created?", "List the six IRLs piloted by the INSIS."):
        answer = ask(question)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert markers == {c.n for c in answer.citations}
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        for citation in answer.citations:
            assert citation.quote and citation.quote in citation.passage.text


def test_answer_is_deterministic() -> None:
    question = "What does the ERC unit do?"
    assert ask(question).text == ask(question).text


def test_refusal_lists_the_closest_passages_as_citations() -> None:
    answerer = ExtractiveAnswerer()
    answer = answerer.refuse(answerer.analyse("What is the budget?", PASSAGES))
    assert answer.abstained and answer.text.startswith("The documents do not contain")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations} and len(markers) == 3


@pytest.mark.parametrize(
    ("sentence", "marked"),
    [("It rains.", "It rains [1]."), ("An item", "An item [1]"), ("A list:", "A list [1]:")],
)
def test_marker_goes_before_the_final_punctuation(sentence: str, marked: str) -> None:
    assert mark(sentence, 1) == marked
