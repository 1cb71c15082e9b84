"""The LLM backend against a real llama.cpp server serving SmolLM2-135M on loopback.

SmolLM2-135M invents facts readily; at temperature 0 its answers to these prompts are fixed, so
the tests can show the check keeping what the passages support and catching what they do not.
"""

from __future__ import annotations

import re

import httpx
import pytest
from llama_server import LlamaServer, llama_server_fixture  # noqa: F401 (pytest fixture)
from test_llm import PASSAGES, TOWER, assert_resolves, llm_answerer, passage, request

from app.llm.answerer import UNSUPPORTED
from app.llm.models import chat_model
from app.llm.tokens import token_counter
from ingest.settings import Settings, load_settings

pytestmark = pytest.mark.slow

LUMEN = passage(
    "The Lumen Institute runs a summer school on coastal ecology every July in Brest.",
    title="Lumen Institute",
)


def settings_for(server: LlamaServer, **overrides: object) -> Settings:
    given: dict[str, object] = {"llm_max_tokens": 128, **overrides}
    return load_settings(llm_provider="openai", llm_base_url=server.base_url, **given)


def test_model_and_tokenizer_come_from_the_server(llama_server: LlamaServer):
    settings = settings_for(llama_server)
    assert chat_model(settings).model_name.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    count, how = token_counter(settings)
    text = "The Eiffel Tower is 330 metres tall."
    tokens = httpx.post(f"{llama_server.root}/extras/tokenize", json={"input": text}).json()
    assert how == "server tokenizer" and count(text) == len(tokens["tokens"])


def test_answer_streams_growing_partial_answers_then_a_checked_final_one(
    llama_server: LlamaServer,
):
    answerer = llm_answerer(settings_for(llama_server))
    answers = list(answerer.stream(request("How tall is the Eiffel Tower?", PASSAGES)))
    partial, final = answers[:-1], answers[-1]
    assert len(partial) >= 3
    for before, after in zip(partial, partial[1:], strict=False):
        assert after.text.startswith(before.text) and len(after.text) > len(before.text)
    assert all(a.citations == [] and a.backend == "llm" for a in partial)
    assert final.backend == "llm" and not final.abstained
    assert "330" in final.text and final.text.endswith("[1].")
    assert final.citations[0].passage == TOWER
    assert final.citations[0].quote == "The Eiffel Tower is 330 metres tall."
    assert_resolves(final.text, final.citations)
    assert set(final.timings_ms) == {"llm_prompt", "llm_generate", "llm_check"}


def test_invented_answer_is_caught_and_the_extractive_answer_shown(llama_server: LlamaServer):
    answerer = llm_answerer(settings_for(llama_server))
    question = "Who founded the Lumen Institute and in which year?"
    answers = list(answerer.stream(request(question, [LUMEN])))
    invented = answers[-2].text
    assert re.search(r"\b(1[89]|20)\d\d\b", invented), invented
    assert answers[-1].backend == "extractive"
    assert answers[-1].note == f"{UNSUPPORTED}; showing the extractive answer."


def test_supported_sentence_kept_and_invented_one_removed(llama_server: LlamaServer):
    question = "How tall is the Eiffel Tower, and how much did it cost to build?"
    answers = list(llm_answerer(settings_for(llama_server)).stream(request(question, PASSAGES)))
    raw, final = answers[-2].text, answers[-1]
    assert "$275 million" in raw, raw
    assert final.backend == "llm"
    assert "330 meters tall" in final.text and "million" not in final.text
    assert re.search(
        r"\d+ sentences? not supported by the passages (was|were) removed", final.note or ""
    )
    assert_resolves(final.text, final.citations)


def test_small_context_window_leaves_passages_out_and_says_so(llama_server: LlamaServer):
    filler = " The tower is painted every seven years by a team of twenty-five painters." * 8
    passages = [passage("The Eiffel Tower is 330 metres tall." + filler)]
    passages += [passage(f"Fact {i}." + filler, title=f"Extra {i}") for i in range(4)]
    settings = settings_for(llama_server, llm_context_window=512, llm_max_tokens=64)
    answerer = llm_answerer(settings)
    prompt = answerer.prompt("How tall is the Eiffel Tower?", passages, [])
    assert 1 <= len(prompt.passages) < 5
    left_out = 5 - len(prompt.passages)
    final = list(answerer.stream(request("How tall is the Eiffel Tower?", passages)))[-1]
    assert final.backend == "llm"
    assert final.note is not None and final.note.startswith(
        f"{left_out} of 5 passages did not fit the LLM's context window (512 tokens) and "
        f"{'were' if left_out > 1 else 'was'} left out."
    )


def test_no_passage_fitting_the_window_falls_back_saying_why(llama_server: LlamaServer):
    settings = settings_for(llama_server, llm_context_window=256, llm_max_tokens=200)
    long = passage("The Eiffel Tower is 330 metres tall. " * 20)
    answers = list(llm_answerer(settings).stream(request("How tall?", [long])))
    assert len(answers) == 1 and answers[0].backend == "extractive"
    assert answers[0].note == (
        "No passage fits the LLM's context window; showing the extractive answer."
    )
