"""The LLM backend: prompt the configured chat model, stream its words, vet the result."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel

from app.answer import CANNOT_ANSWER, Answer, Answerer, AnswerRequest, Backend
from app.llm.check import check_answer
from app.llm.models import chat_model, load_gguf, unavailable
from app.llm.prompt import Prompt, build_prompt
from app.llm.tokens import TokenCounter, token_counter
from ingest.settings import Settings
from retriever.passage import Passage

UNSUPPORTED = "The LLM's answer was not supported by the passages"
EMPTY = "The LLM returned an empty answer"
SHOWING_EXTRACTIVE = "showing the extractive answer."
READER_UNSURE = "and the reader is unsure the passages answer the question."


def _connection_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the model did not answer, whatever client library raised them."""
    errors: list[type[BaseException]] = [httpx.HTTPError, ConnectionError, TimeoutError]
    try:
        import openai

        errors.append(openai.APIError)
    except ImportError:
        pass
    try:
        import ollama

        errors.append(ollama.ResponseError)
    except ImportError:
        pass
    return tuple(errors)


class LLMAnswerer:
    """Answers from passages with the chat model in ``settings``; when the model's answer is
    empty or unsupported, with the ``fallback`` backend's answer and a note saying why.

    The model and its token counter are created on first use, so building an answerer is free
    and a misconfigured endpoint only fails when an answer is asked for.
    """

    backend = Backend.LLM

    def __init__(self, settings: Settings, fallback: Answerer) -> None:
        self.settings = settings
        self.fallback = fallback
        self._model: BaseChatModel | None = None
        self._count: TokenCounter | None = None
        self._gguf: Any = None

    def _in_process_model(self) -> Any:
        """The GGUF model the llamacpp provider runs, loaded once for the chat model and the
        token counter both (None for the other providers)."""
        if self.settings.llm_provider != "llamacpp":
            return None
        if self._gguf is None:
            self._gguf = load_gguf(self.settings)
        return self._gguf

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            self._model = chat_model(self.settings, self._in_process_model())
        return self._model

    @property
    def count(self) -> TokenCounter:
        if self._count is None:
            self._count, _ = token_counter(self.settings, self._in_process_model())
        return self._count

    def prompt(
        self, question: str, passages: Sequence[Passage], history: Sequence[dict[str, str]]
    ) -> Prompt:
        return build_prompt(
            question,
            passages,
            history,
            context_window=self.settings.llm_context_window,
            max_tokens=self.settings.llm_max_tokens,
            count=self.count,
        )

    def stream(self, request: AnswerRequest) -> Iterator[Answer]:
        """Growing partial answers (raw text, no citations), then the checked final answer.

        Raises LLMUnavailable, naming the endpoint, when the model cannot be reached.
        """
        question, passages, history = request.question, request.passages, request.history
        started = time.perf_counter()
        prompt = self.prompt(question, passages, history)
        timings = {"llm_prompt": _ms(started)}
        left_out = _left_out_note(prompt, self.settings.llm_context_window)
        if not prompt.passages:
            reason = (
                "No passage fits the LLM's context window"
                if passages
                else "No passages were found for the LLM to answer from"
            )
            yield self._fallback(request, reason)
            return
        partial = Answer(
            question=question,
            text="",
            citations=[],
            abstained=False,
            backend=self.backend,
            passages=list(passages),
            note=left_out,
            timings_ms=timings,
        )
        generating = time.perf_counter()
        raw = ""
        try:
            for chunk in self.model.stream(prompt.messages):
                if chunk.text:
                    raw += chunk.text
                    yield dataclasses.replace(partial, text=raw, timings_ms=dict(timings))
        except _connection_errors() as exc:
            raise unavailable(self.settings, exc) from None
        timings["llm_generate"] = _ms(generating)
        checking = time.perf_counter()
        checked = check_answer(raw, prompt.passages)
        timings["llm_check"] = _ms(checking)
        if checked.abstained:
            yield dataclasses.replace(
                partial, text=CANNOT_ANSWER, abstained=True, timings_ms=timings
            )
            return
        if not checked.text:
            reason = UNSUPPORTED if raw.strip() else EMPTY
            yield self._fallback(request, reason)
            return
        yield dataclasses.replace(
            partial,
            text=checked.text,
            citations=checked.citations,
            note=_join(left_out, checked.note),
            timings_ms=timings,
        )

    def _fallback(self, request: AnswerRequest, reason: str) -> Answer:
        """The fallback's answer, with a note on why: an extractive answer, or its refusal
        where the reader is unsure too."""
        *_, answer = self.fallback.stream(request)
        then = READER_UNSURE if request.reader_unsure else SHOWING_EXTRACTIVE
        return _with_note(answer, f"{reason}; {then}" if request.passages else f"{reason}.")


def _left_out_note(prompt: Prompt, window: int) -> str | None:
    if not prompt.left_out:
        return None
    n = prompt.left_out
    return (
        f"{n} of {n + len(prompt.passages)} passages did not fit the LLM's context window "
        f"({window} tokens) and {'were' if n > 1 else 'was'} left out."
    )


def _with_note(answer: Answer, reason: str) -> Answer:
    if answer.note and reason in answer.note:
        return answer
    return dataclasses.replace(answer, note=_join(reason, answer.note))


def _join(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
