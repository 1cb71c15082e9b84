"""Writing the extractive answer from the reader's verdicts: which sentences are quoted, how
they are cited, how passages are ranked, and what a refusal shows. The readings are given by
hand here; tests/test_reader_model.py runs the real model."""

from __future__ import annotations

from app.answer import CANNOT_ANSWER, Backend
from app.extractive import ReaderAnswerer, refusal
from app.gate.evidence import Evidence, RerankWeights
from app.reader.reading import Reading
from retriever.passage import Passage

NO_RERANK = RerankWeights(dense=0.0, rank=0.0, verdict=0.0)


def passage(text: str, doc_id: str = "doc", dense: float | None = 0.5) -> Passage:
    return Passage(
        doc_id=doc_id, title=doc_id.title(), source=f"{doc_id}.md", text=text, start=0,
        end=len(text), heading_path=(), page=None, fused_score=1.0, dense_score=dense,
    )  # fmt: skip


def reading_of(text: str, span: str, score: float = 8.0, null: float = 1.0) -> Reading:
    start = text.index(span)
    return Reading(score=score, null_score=null, start=start, end=start + len(span), verdict=2.0)


def evidence(*pairs: tuple[Passage, Reading | None], weights: RerankWeights = NO_RERANK):
    passages = [p for p, _ in pairs]
    return Evidence.build("q?", "q?", passages, [r for _, r in pairs], weights)


def test_the_answer_quotes_the_sentence_holding_the_span_and_marks_the_span() -> None:
    text = "LIMMS is in Tokyo. ElyT-MaX is based in Sendai, Japan. It studies materials."
    p = passage(text)
    answer = ReaderAnswerer().answer("Where?", evidence((p, reading_of(text, "Sendai, Japan"))))
    assert answer.text == "ElyT-MaX is based in Sendai, Japan [1]."
    assert answer.short_answer == "Sendai, Japan"
    (citation,) = answer.citations
    assert citation.quote == "ElyT-MaX is based in Sendai, Japan."
    assert citation.answer_span == "Sendai, Japan" and citation.passage == p
    assert not answer.abstained and answer.backend is Backend.EXTRACTIVE


def test_a_span_across_list_items_gives_the_items_each_cited() -> None:
    text = "The four objectives are:\n- attract talent;\n- build networks;\n- lead projects.\nEnd."
    span = "attract talent;\n- build networks;\n- lead projects"
    answer = ReaderAnswerer().answer("Which?", evidence((passage(text), reading_of(text, span))))
    assert answer.text.splitlines() == [
        "- attract talent [1];",
        "- build networks [1];",
        "- lead projects [1].",
    ]
    assert answer.citations[0].quote in text


def test_a_span_across_some_items_of_a_list_gives_the_whole_list() -> None:
    text = "Aims:\n\n- attract talent\n- build networks\n- lead projects\n- teach\n\nEnd of list."
    span = "build networks\n- lead"
    answer = ReaderAnswerer().answer("Which?", evidence((passage(text), reading_of(text, span))))
    assert [line.split(" [")[0] for line in answer.text.splitlines()] == [
        "- attract talent", "- build networks", "- lead projects", "- teach",
    ]  # fmt: skip


def test_a_sentence_that_introduces_a_list_is_quoted_with_the_list() -> None:
    text = (
        "Intro text. The institute pilots three laboratories, some for 20 years:\n"
        "- LIMMS in Tokyo;\n- JRL in Tsukuba;\n- LN2 in Sherbrooke.\n\nOther text: here."
    )
    answer = ReaderAnswerer().answer(
        "List them.", evidence((passage(text), reading_of(text, "20 years")))
    )
    assert answer.text.splitlines() == [
        "The institute pilots three laboratories, some for 20 years [1]:",
        "- LIMMS in Tokyo [1];",
        "- JRL in Tsukuba [1];",
        "- LN2 in Sherbrooke [1].",
    ]
    assert answer.short_answer == "20 years"
    assert answer.citations[0].quote == text[text.index("The institute") : text.index("\n\nOther")]


def test_a_colon_inside_a_sentence_or_a_later_sentence_does_not_pull_in_a_list() -> None:
    text = "It opened in 1990. Its aims are these:\n- one\n- two"
    answer = ReaderAnswerer().answer("When?", evidence((passage(text), reading_of(text, "1990"))))
    assert answer.text == "It opened in 1990 [1]."
    mid = "The ratio: 3 to 1 was kept.\n- one\n- two"
    answer = ReaderAnswerer().answer("What?", evidence((passage(mid), reading_of(mid, "ratio"))))
    assert answer.text == "The ratio: 3 to 1 was kept [1]."


def test_a_very_long_sentence_is_quoted_whole() -> None:
    sentence = "With " + "its many laboratories, " * 30 + "the institute has 20 programmes."
    text = f"It began in 1990. {sentence} It grew."
    answer = ReaderAnswerer().answer("How many?", evidence((passage(text), reading_of(text, "20"))))
    assert answer.citations[0].quote == sentence
    assert answer.citations[0].answer_span == "20"


def test_passages_are_ranked_by_the_reader_then_the_retriever() -> None:
    weak, strong = passage("Weak text here.", "weak", 0.9), passage("Strong text.", "strong", 0.1)
    pairs = [
        (weak, reading_of(weak.text, "Weak", 2.0)),
        (strong, reading_of(strong.text, "Strong")),
    ]
    assert [i.passage for i in evidence(*pairs).read] == [strong, weak]
    tilted = evidence(*pairs, weights=RerankWeights(dense=20.0, rank=0.0, verdict=0.0))
    assert [i.passage for i in tilted.read] == [weak, strong]


def test_unreadable_passages_rank_last_and_nothing_readable_refuses() -> None:
    empty, text = passage("", "empty"), passage("ElyT-MaX was created in 2016.", "text")
    ranked = evidence((empty, None), (text, reading_of(text.text, "2016")))
    assert ranked.best is not None and ranked.best.passage == text
    nothing = evidence((empty, None))
    assert nothing.best is None
    assert ReaderAnswerer().answer("When?", nothing).abstained


def test_a_refusal_starts_with_the_fixed_sentence_and_cites_the_closest_passages() -> None:
    pairs = [
        (p, reading_of(p.text, p.text.split()[0]))
        for p in (passage(f"Passage {i} says little.", f"d{i}") for i in range(5))
    ]
    answer = refusal("Why?", evidence(*pairs), Backend.LLM)
    assert answer.abstained and answer.backend is Backend.LLM
    assert answer.text == (f"{CANNOT_ANSWER}\nThe closest passages I found are [1], [2] and [3].")
    assert [c.n for c in answer.citations] == [1, 2, 3]
    assert all(c.answer_span is None for c in answer.citations)
