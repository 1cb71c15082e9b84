"""What the LLM backend does with answers a model may or may not write on a given day: one the
passages support, one that invents, one that mixes both, the fixed abstention, nothing at all.

A scripted OpenAI-compatible server (``scripted_llm.py``) streams each answer, so every case
happens for certain; the real llama.cpp server is tested in test_llm_server.py.
"""

from __future__ import annotations

from scripted_llm import MODEL, ScriptedLLM, scripted_llm_fixture  # noqa: F401 (pytest fixture)
from test_llm import PASSAGES, TOWER, assert_resolves, llm_answerer, passage, request

from app.answer import CANNOT_ANSWER, Answer
from app.composition import Models
from app.llm.answerer import EMPTY, UNSUPPORTED
from ingest.settings import load_settings
from retriever.passage import Passage

LUMEN = passage(
    "The Lumen Institute runs a summer school on coastal ecology every July in Brest.",
    title="Lumen Institute",
)
SUPPORTED = "The Eiffel Tower is 330 metres tall [1]."


def answers_to(
    server: ScriptedLLM, reply: str, question: str, passages: list[Passage], models: Models
) -> list[Answer]:
    server.reply = reply
    settings = load_settings(llm_provider="openai", llm_base_url=server.base_url)
    return list(llm_answerer(settings).stream(request(question, passages, models)))


def test_supported_answer_streams_then_keeps_its_checked_citations(
    scripted_llm: ScriptedLLM, models: Models
):
    answers = answers_to(scripted_llm, SUPPORTED, "How tall is the Eiffel Tower?", PASSAGES, models)
    partial, final = answers[:-1], answers[-1]
    assert [a.text for a in partial] == [
        "The ",
        "The Eiffel ",
        "The Eiffel Tower ",
        "The Eiffel Tower is ",
        "The Eiffel Tower is 330 ",
        "The Eiffel Tower is 330 metres ",
        "The Eiffel Tower is 330 metres tall ",
        SUPPORTED,
    ]
    assert all(a.citations == [] and a.backend == "llm" for a in partial)
    assert final.backend == "llm" and not final.abstained and final.note is None
    assert final.text == SUPPORTED
    assert final.citations[0].passage == TOWER
    assert final.citations[0].quote == "The Eiffel Tower is 330 metres tall."
    assert_resolves(final.text, final.citations)
    assert set(final.timings_ms) == {"llm_prompt", "llm_generate", "llm_check"}


def test_request_carries_the_numbered_passages_at_temperature_zero(
    scripted_llm: ScriptedLLM, models: Models
):
    answers_to(scripted_llm, SUPPORTED, "How tall is the Eiffel Tower?", PASSAGES, models)
    (sent,) = scripted_llm.requests
    assert sent["model"] == MODEL and sent["stream"] is True and sent["temperature"] == 0
    user = sent["messages"][-1]["content"]  # type: ignore[index]
    assert "[1] Paris guide - Facts\nThe Eiffel Tower is 330 metres tall." in user
    assert user.endswith("Question: How tall is the Eiffel Tower?")


def test_invented_answer_is_caught_and_the_extractive_answer_shown(
    scripted_llm: ScriptedLLM, models: Models
):
    invented = "The Lumen Institute was founded in 1923 by Jean Moulin [1]."
    question = "Who founded the Lumen Institute and in which year?"
    answers = answers_to(scripted_llm, invented, question, [LUMEN], models)
    assert answers[-2].text == invented
    final = answers[-1]
    assert final.backend == "extractive"
    assert final.note is not None and final.note.startswith(UNSUPPORTED)
    assert "1923" not in final.text and "Moulin" not in final.text


def test_supported_sentence_kept_and_invented_one_removed(
    scripted_llm: ScriptedLLM, models: Models
):
    reply = f"{SUPPORTED} It cost $275 million to build [1]."
    question = "How tall is the Eiffel Tower, and how much did it cost to build?"
    final = answers_to(scripted_llm, reply, question, PASSAGES, models)[-1]
    assert final.backend == "llm"
    assert final.text == SUPPORTED
    assert final.note == "1 sentence not supported by the passages was removed."
    assert_resolves(final.text, final.citations)


def test_the_fixed_sentence_is_an_abstention(scripted_llm: ScriptedLLM, models: Models):
    final = answers_to(scripted_llm, CANNOT_ANSWER, "Who painted it in 1968?", PASSAGES, models)[-1]
    assert final.backend == "llm" and final.abstained
    assert final.text == CANNOT_ANSWER and final.citations == []


def test_empty_answer_falls_back_saying_so(scripted_llm: ScriptedLLM, models: Models):
    answers = answers_to(scripted_llm, "", "How tall is the Eiffel Tower?", PASSAGES, models)
    assert len(answers) == 1
    assert answers[0].backend == "extractive"
    assert answers[0].note is not None and answers[0].note.startswith(EMPTY)
