"""The LLM backend without a server: the output check on hand-written model answers, the prompt
and its token budget, the provider factory, and the in-process GGUF provider."""

from __future__ import annotations

import re

import pytest
from llama_server import free_port, smollm2_gguf

from app.answer import CANNOT_ANSWER, Answer, AnswerRequest
from app.composition import Models
from app.extractive import ReaderAnswerer
from app.gate.calibration import Calibration
from app.gate.evidence import read_evidence
from app.llm import LLMAnswerer, LLMUnavailable, build_prompt, chat_model, check_answer
from app.llm.answerer import EMPTY, UNSUPPORTED
from app.llm.models import LlamaCppChat
from app.llm.prompt import SYSTEM
from app.llm.tokens import estimate_tokens, token_counter
from ingest.errors import SettingsError
from ingest.settings import Settings, load_settings
from retriever.passage import Passage


def passage(
    text: str, title: str = "Paris guide", heading: tuple[str, ...] = ("Facts",)
) -> Passage:
    return Passage(
        doc_id=title.lower().replace(" ", "-"),
        title=title,
        source=f"{title}.md",
        text=text,
        start=0,
        end=len(text),
        heading_path=heading,
        page=None,
        fused_score=1.0,
    )


def request(question: str, passages: list[Passage], models: Models) -> AnswerRequest:
    """What the engine hands a backend: the passages read and ranked by the real reader."""
    rerank = Calibration.load().rerank
    evidence = read_evidence(question, question, passages, rerank, models.reader())
    return AnswerRequest(question, [], evidence)


def llm_answerer(settings: Settings) -> LLMAnswerer:
    return LLMAnswerer(settings, fallback=ReaderAnswerer())


TOWER = passage("The Eiffel Tower is 330 metres tall. It was built in 1889 for the World's Fair.")
DESIGN = passage("Gustave Eiffel's company designed and built the tower.", title="Eiffel")
METRO = passage("The Paris metro has 16 lines and 308 stations.", title="Metro")
PASSAGES = [TOWER, DESIGN, METRO]


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def assert_resolves(text: str, citations: list) -> None:
    """Every marker resolves to a listed source, every source is cited, quotes are exact."""
    assert sorted(set(markers(text))) == [c.n for c in citations]
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    for citation in citations:
        assert citation.quote and citation.quote in citation.passage.text


def assert_checked_or_fallen_back(answers: list[Answer]) -> None:
    """Whatever the model wrote: its checked answer with resolving citations, the fixed
    abstention, or the extractive answer with the reason; never an unchecked sentence."""
    final = answers[-1]
    raw = answers[-2].text if len(answers) > 1 else ""
    if final.backend == "llm" and final.abstained:
        assert final.text == CANNOT_ANSWER and final.citations == []
    elif final.backend == "llm":
        assert raw and final.citations, raw
        assert_resolves(final.text, final.citations)
    else:
        assert final.note is not None and final.note.startswith((UNSUPPORTED, EMPTY)), raw


def test_supported_answer_keeps_its_citations_and_quotes():
    raw = "The Eiffel Tower is 330 metres tall [1]. Gustave Eiffel's company designed it [2]."
    checked = check_answer(raw, PASSAGES)
    assert checked.text == raw
    assert [(c.n, c.passage, c.quote) for c in checked.citations] == [
        (1, TOWER, "The Eiffel Tower is 330 metres tall."),
        (2, DESIGN, DESIGN.text),
    ]
    assert checked.note is None


def test_citation_numbers_out_of_range_are_removed():
    checked = check_answer("The metro has 16 lines [3][7].", PASSAGES)
    assert checked.text == "The metro has 16 lines [1]."
    assert checked.citations[0].passage == METRO
    assert checked.out_of_range == 1
    assert "1 citation(s) to passages that do not exist removed." in (checked.note or "")


def test_sentence_without_citation_gets_one_where_a_passage_supports_it():
    checked = check_answer("The tower was built in 1889 for the World's Fair.", PASSAGES)
    assert checked.text == "The tower was built in 1889 for the World's Fair [1]."
    assert checked.citations[0].quote == "It was built in 1889 for the World's Fair."
    assert checked.recited == 1


def test_wrong_citation_is_moved_to_the_supporting_passage():
    checked = check_answer("The Paris metro has 308 stations [1].", PASSAGES)
    assert checked.text == "The Paris metro has 308 stations [1]."
    assert checked.citations[0].passage == METRO


def test_unsupported_sentences_are_dropped_and_counted():
    raw = (
        "The Eiffel Tower is 330 metres tall [1]. It was painted by Pierre Dupont in 1968 [1]. "
        "The metro has 20 lines [3]."
    )
    checked = check_answer(raw, PASSAGES)
    assert checked.text == "The Eiffel Tower is 330 metres tall [1]."
    assert checked.dropped == [
        "It was painted by Pierre Dupont in 1968.",
        "The metro has 20 lines.",
    ]
    assert checked.note == "2 sentences not supported by the passages were removed."


def test_citations_are_renumbered_in_order_of_appearance():
    raw = "The metro has 308 stations [3]. The tower is 330 m tall [1]. The metro has 16 lines [3]."
    checked = check_answer(raw, PASSAGES)
    assert checked.text == (
        "The metro has 308 stations [1]. The tower is 330 m tall [2]. The metro has 16 lines [1]."
    )
    assert [c.passage for c in checked.citations] == [METRO, TOWER]
    assert_resolves(checked.text, checked.citations)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("The Eiffel Tower is 330 metres tall. [1]", id="marker after the full stop"),
        pytest.param("The Eiffel Tower is 330 metres tall [Passage 1]", id="spelled-out marker"),
        pytest.param("The Eiffel Tower is 330 metres tall [1, 3].", id="list of numbers"),
    ],
)
def test_marker_styles_small_models_write_are_understood(raw: str):
    checked = check_answer(raw, PASSAGES)
    assert checked.text == "The Eiffel Tower is 330 metres tall [1]."
    assert checked.citations[0].passage == TOWER


def test_list_answers_keep_their_bullets():
    raw = "- The metro has 16 lines [3].\n- The tower is 330 metres tall [1]."
    checked = check_answer(raw, PASSAGES)
    assert checked.text == "- The metro has 16 lines [1].\n- The tower is 330 metres tall [2]."


def test_the_fixed_sentence_makes_an_abstention():
    checked = check_answer(CANNOT_ANSWER, PASSAGES)
    assert checked.abstained and checked.text == "" and checked.citations == []


def test_abstention_sentence_next_to_a_supported_claim_is_dropped():
    checked = check_answer(f"The tower is 330 metres tall [1]. {CANNOT_ANSWER}", PASSAGES)
    assert not checked.abstained
    assert checked.text == "The tower is 330 metres tall [1]."


def test_prompt_numbers_passages_and_asks_for_citations_or_the_fixed_sentence():
    history = [
        {"role": "user", "content": "What is the Eiffel Tower?"},
        {"role": "assistant", "content": "A tower in Paris [1]. " + "It is iron. " * 60},
    ]
    prompt = build_prompt(
        "How tall is it?", PASSAGES, history, context_window=2048, max_tokens=256, count=len
    )
    system, user = (m.text for m in prompt.messages)
    assert system == SYSTEM and CANNOT_ANSWER in system and "[1]" in system
    assert "[1] Paris guide - Facts\nThe Eiffel Tower is 330 metres tall." in user
    assert "[3] Metro - Facts\nThe Paris metro has 16 lines and 308 stations." in user
    assert "User: What is the Eiffel Tower?\nAssistant: A tower in Paris. It is iron." in user
    assert len(user.split("Conversation so far:")[1]) < 400
    assert user.endswith("Question: How tall is it?")
    assert prompt.passages == PASSAGES and prompt.left_out == 0


def test_prompt_leaves_out_passages_that_do_not_fit_the_context_window():
    long = [passage(f"Fact number {i}. " + "Filler words about the tower. " * 30) for i in range(6)]
    prompt = build_prompt("Q?", long, [], context_window=900, max_tokens=256, count=estimate_tokens)
    assert 0 < len(prompt.passages) < len(long)
    assert prompt.passages == long[: len(prompt.passages)]
    assert prompt.left_out == len(long) - len(prompt.passages)
    assert prompt.tokens + 256 <= 900


def test_openai_provider_needs_an_explicit_base_url():
    with pytest.raises(SettingsError, match="llm_base_url is not set"):
        chat_model(load_settings(llm_provider="openai"))


def test_unreachable_endpoint_raises_llm_unavailable_naming_the_url(models: Models) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    answerer = llm_answerer(load_settings(llm_base_url=url, llm_model="m", llm_timeout_s=5))
    with pytest.raises(LLMUnavailable, match=re.escape(f"Cannot reach the LLM at {url}")):
        list(answerer.stream(request("How tall?", PASSAGES, models)))


def test_unreachable_ollama_raises_llm_unavailable_naming_the_url(models: Models) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(llm_provider="ollama", llm_base_url=url, llm_model="m")
    with pytest.raises(LLMUnavailable, match=re.escape(url)):
        list(llm_answerer(settings).stream(request("How tall?", PASSAGES, models)))


def test_missing_gguf_file_is_reported(tmp_path):
    settings = load_settings(llm_provider="llamacpp", llm_model=str(tmp_path / "none.gguf"))
    with pytest.raises(LLMUnavailable, match="none.gguf does not exist"):
        chat_model(settings)


def test_in_process_gguf_streams_a_checked_answer_counted_with_its_tokenizer(
    models: Models,
) -> None:
    pytest.importorskip("llama_cpp", reason="needs the [llm] extra")
    settings = load_settings(llm_provider="llamacpp", llm_model=str(smollm2_gguf()))
    assert isinstance(chat_model(settings), LlamaCppChat)
    count, how = token_counter(settings)
    assert how == "model tokenizer" and 0 < count("The Eiffel Tower") < 10

    answers = list(
        llm_answerer(settings).stream(request("How tall is the Eiffel Tower?", PASSAGES, models))
    )
    assert len(answers) > 2 and all(a.citations == [] for a in answers[:-1])
    assert_checked_or_fallen_back(answers)
