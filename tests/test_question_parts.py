"""Splitting a question that asks two things, and joining the parts' answers."""

from __future__ import annotations

import pytest

from app.answer import CANNOT_ANSWER, Answer, Backend, Citation
from app.parts_answer import joined_answer
from app.question_parts import question_parts
from retriever.passage import Passage


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        pytest.param(
            "where is the LN2 laboratory located and which company has a joint lab with it?",
            ["where is the LN2 laboratory located?", "Which company has a joint lab with it?"],
            id="and-which",
        ),
        pytest.param(
            "When was ElyT-MaX created, and who runs it today?",
            ["When was ElyT-MaX created?", "Who runs it today?"],
            id="comma-and-who",
        ),
        pytest.param(
            "Which laboratories study fluids and materials?",
            ["Which laboratories study fluids and materials?"],
            id="and-between-nouns",
        ),
        pytest.param(
            "What is ElyT-MaX and why?",
            ["What is ElyT-MaX and why?"],
            id="second-part-too-short",
        ),
        pytest.param(
            "Who founded the lab and how?", ["Who founded the lab and how?"], id="bare-how"
        ),
    ],
)
def test_question_parts(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


def answer_of(question: str, text: str, quotes: list[str], abstained: bool = False) -> Answer:
    passage = Passage(
        doc_id="d", title="D", source="d.md", text=" ".join(quotes) or "x", start=0, end=1,
        heading_path=(), page=None, fused_score=1.0,
    )  # fmt: skip
    citations = [Citation(n, passage, q, answer_span=q.split()[0]) for n, q in enumerate(quotes, 1)]
    return Answer(
        question, text, citations, abstained, Backend.EXTRACTIVE,
        short_answer=None if abstained else quotes[0].split()[0], passages=[passage],
        answerability=0.9, timings_ms={"read": 10.0},
    )  # fmt: skip


def test_joined_answers_number_their_citations_on() -> None:
    first = answer_of("Where?", "Sherbrooke hosts it [1].", ["Sherbrooke hosts it."])
    second = answer_of("Who?", "Thales runs it [1]. ST too [2].", ["Thales runs it.", "ST too."])
    joined = joined_answer("Where and who?", [first, second])
    assert joined.text == "Sherbrooke hosts it [1].\nThales runs it [2]. ST too [3]."
    assert [c.n for c in joined.citations] == [1, 2, 3]
    assert [c.quote for c in joined.citations] == [
        "Sherbrooke hosts it.",
        "Thales runs it.",
        "ST too.",
    ]
    assert joined.short_answer == "Sherbrooke; Thales" and joined.timings_ms == {"read": 20.0}


def test_a_refused_part_is_named_and_a_refused_whole_stays_a_refusal() -> None:
    answered = answer_of("Where?", "Sherbrooke hosts it [1].", ["Sherbrooke hosts it."])
    refused = answer_of("Who runs it?", CANNOT_ANSWER, [], abstained=True)
    joined = joined_answer("Where and who runs it?", [answered, refused])
    assert joined.text.splitlines()[1] == (
        'Not found for "Who runs it?": the documents do not contain an answer to this question.'
    )
    assert not joined.abstained
    both = joined_answer("Where and who runs it?", [refused, refused])
    assert (
        both.abstained and both.text == CANNOT_ANSWER and both.question == "Where and who runs it?"
    )
