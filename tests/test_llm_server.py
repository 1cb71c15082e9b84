"""The LLM backend against a real llama.cpp server serving SmolLM2-135M on loopback.

What SmolLM2-135M writes differs between llama.cpp versions and the CPUs they are built for,
so these tests assert what citewise does with whatever it writes: the partial answers stream
and grow, the final one is checked (its citations resolve to quoted passages) or is the
extractive answer with the reason, the prompt fits the context window. The answers that need a
model to invent something on demand are tested against a scripted server, in
test_llm_scripted.py.
"""

from __future__ import annotations

import httpx
import pytest
from langchain_openai import ChatOpenAI
from llama_server import LlamaServer, llama_server_fixture  # noqa: F401 (pytest fixture)
from test_llm import (
    PASSAGES,
    assert_checked_or_fallen_back,
    llm_answerer,
    passage,
    request,
)

from app.answer import Answer
from app.composition import Models
from app.llm.answerer import EMPTY, UNSUPPORTED
from app.llm.models import chat_model
from app.llm.tokens import token_counter
from ingest.settings import Settings, load_settings
from retriever.passage import Passage

pytestmark = pytest.mark.slow


def settings_for(server: LlamaServer, **overrides: object) -> Settings:
    given: dict[str, object] = {"llm_max_tokens": 128, **overrides}
    return load_settings(llm_provider="openai", llm_base_url=server.base_url, **given)


def test_model_and_tokenizer_come_from_the_server(llama_server: LlamaServer):
    settings = settings_for(llama_server)
    model = chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    count, how = token_counter(settings)
    text = "The Eiffel Tower is 330 metres tall."
    tokens = httpx.post(f"{llama_server.root}/extras/tokenize", json={"input": text}).json()
    assert how == "server tokenizer" and count(text) == len(tokens["tokens"])


def answers_to(
    settings: Settings, question: str, passages: list[Passage], models: Models
) -> list[Answer]:
    return list(llm_answerer(settings).stream(request(question, passages, models)))


def test_answer_streams_growing_partial_answers_then_a_checked_final_one(
    llama_server: LlamaServer, models: Models
):
    answers = answers_to(
        settings_for(llama_server), "How tall is the Eiffel Tower?", PASSAGES, models
    )
    partial, final = answers[:-1], answers[-1]
    assert len(partial) >= 3
    for before, after in zip(partial, partial[1:], strict=False):
        assert after.text.startswith(before.text) and len(after.text) > len(before.text)
    assert all(a.citations == [] and a.backend == "llm" for a in partial)
    assert_checked_or_fallen_back(answers)
    if final.backend == "llm":
        assert set(final.timings_ms) == {"llm_prompt", "llm_generate", "llm_check"}


def test_small_context_window_leaves_passages_out_and_says_so(
    llama_server: LlamaServer, models: Models
):
    filler = " The tower is painted every seven years by a team of twenty-five painters." * 8
    passages = [passage("The Eiffel Tower is 330 metres tall." + filler)]
    passages += [passage(f"Fact {i}." + filler, title=f"Extra {i}") for i in range(4)]
    settings = settings_for(llama_server, llm_context_window=512, llm_max_tokens=64)
    answerer = llm_answerer(settings)
    prompt = answerer.prompt("How tall is the Eiffel Tower?", passages, [])
    assert 1 <= len(prompt.passages) < 5
    left_out = 5 - len(prompt.passages)
    answers = list(answerer.stream(request("How tall is the Eiffel Tower?", passages, models)))
    assert_checked_or_fallen_back(answers)
    final = answers[-1]
    left_out_note = (
        f"{left_out} of 5 passages did not fit the LLM's context window (512 tokens) and "
        f"{'were' if left_out > 1 else 'was'} left out."
    )
    assert final.note is not None
    if final.backend == "llm":
        assert final.note.startswith(left_out_note)
    else:
        assert final.note.startswith((UNSUPPORTED, EMPTY))


def test_no_passage_fitting_the_window_falls_back_saying_why(
    llama_server: LlamaServer, models: Models
):
    settings = settings_for(llama_server, llm_context_window=256, llm_max_tokens=200)
    long = passage("The Eiffel Tower is 330 metres tall. " * 20)
    answers = list(llm_answerer(settings).stream(request("How tall?", [long], models)))
    assert len(answers) == 1 and answers[0].backend == "extractive"
    assert answers[0].note == (
        "No passage fits the LLM's context window; showing the extractive answer."
    )
