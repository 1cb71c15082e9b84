"""The answer engine: question (and chat so far) in, cited answer out, through one backend.

Every backend answers from the same retrieved passages and the same abstention decision, so
switching backends changes the wording, never what the corpus is believed to hold. The backend
asked for is the one used: an LLM that is not configured or not reachable is an error, never a
silent switch to another backend.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from typing import Any

from app.abstention import Calibration, answerability, default_calibration, threshold
from app.answer import Answer
from app.errors import BackendError, EmptyIndexError
from app.extractive import Analysis, ExtractiveAnswerer
from app.followup import search_query, validate_history
from ingest.errors import QueryError
from ingest.settings import Settings
from retriever.passage import Passage

EXTRACTIVE = "extractive"
LLM = "llm"
LLM_SETTINGS_HINT = (
    "set llm_base_url for an OpenAI-compatible server (e.g. CITEWISE_LLM_BASE_URL="
    "http://127.0.0.1:8080/v1), or llm_provider=ollama with llm_model, or "
    "llm_provider=llamacpp with llm_model=/path/to/model.gguf"
)


class AnswerEngine:
    """Answers questions from a retriever's passages with the extractive or the LLM backend."""

    def __init__(
        self, retriever: Any, settings: Settings, calibration: Calibration | None = None
    ) -> None:
        self.retriever = retriever
        self.settings = settings
        self.calibration = calibration or default_calibration()
        self.extractive = ExtractiveAnswerer()
        self._llm: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerEngine:
        """An engine on the index named by ``settings`` (opens the store and model once)."""
        from retriever.hybrid import open_retriever

        return cls(open_retriever(settings), settings)

    def backends(self) -> list[str]:
        """The backends that can answer now: extractive, plus llm when one is configured."""
        return [EXTRACTIVE, LLM] if _llm_configured(self.settings) else [EXTRACTIVE]

    def answer(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        backend: str | None = None,
        top_k: int | None = None,
    ) -> Answer:
        """The final answer (the last of :meth:`stream`)."""
        *_, final = self.stream(question, history, backend, top_k)
        return final

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        backend: str | None = None,
        top_k: int | None = None,
    ) -> Iterator[Answer]:
        """Growing partial answers; the last one is final and complete."""
        started = time.perf_counter()
        name = self._backend(backend)
        messages = validate_history(list(history))
        question, query, passages = self._retrieve(question, messages, top_k)
        if not passages:
            self._check_index()
        retrieved = time.perf_counter()
        analysis = self.extractive.analyse(question, passages, query)
        score = answerability(analysis, self.calibration)
        timings = {"retrieve": _ms(started, retrieved)}
        abstain = score < threshold(self.settings, self.calibration)
        if name == EXTRACTIVE or abstain or not passages:
            final = (
                self.extractive.refuse(analysis)
                if abstain or not passages
                else self.extractive.answer(analysis)
            )
            yield self._finish(final, score, query, timings, retrieved, started)
            return
        for partial in self._llm_answerer().stream(
            question, passages, messages, fallback=self._fallback(analysis)
        ):
            yield self._finish(partial, score, query, timings, retrieved, started)

    def analyse(
        self, question: str, history: Sequence[dict[str, str]] = (), top_k: int | None = None
    ) -> Analysis:
        """The extractive reading of a question (what abstention is decided on), for tools
        such as the calibration script."""
        messages = validate_history(list(history))
        question, query, passages = self._retrieve(question, messages, top_k)
        return self.extractive.analyse(question, passages, query)

    def _retrieve(
        self, question: str, messages: list[dict[str, str]], top_k: int | None
    ) -> tuple[str, str, list[Passage]]:
        """The cleaned question, the query searched for it in this chat, and what was found."""
        question = _clean(question, self.settings.max_question_chars)
        query = search_query(question, messages)
        return question, query, self.retriever.search(query, k=top_k or self.settings.top_k)

    def _finish(
        self,
        answer: Answer,
        score: float,
        query: str,
        timings: dict[str, float],
        answering: float,
        started: float,
    ) -> Answer:
        now = time.perf_counter()
        stages = {**timings, **answer.timings_ms, "answer": _ms(answering, now)}
        stages["total"] = _ms(started, now)
        return dataclasses.replace(
            answer,
            answerability=round(score, 4),
            search_query=query,
            timings_ms={k: round(v, 2) for k, v in stages.items()},
        )

    def _check_index(self) -> None:
        """No passage at all usually means an empty index: say how to fill it."""
        store = getattr(self.retriever, "store", None)
        if store is not None and not store.has_documents():
            raise EmptyIndexError(
                "The index is empty: there are no documents to answer from",
                "run 'citewise ingest corpus/', or ingest your own folder, first",
            )

    def _fallback(self, analysis: Analysis) -> Any:
        def fallback(reason: str) -> Answer:
            return dataclasses.replace(self.extractive.answer(analysis), note=reason)

        return fallback

    def _backend(self, backend: str | None) -> str:
        name = (backend or self.settings.backend).strip().lower()
        if name == LLM and not _llm_configured(self.settings):
            raise BackendError("The llm backend is not configured", LLM_SETTINGS_HINT)
        if name not in (EXTRACTIVE, LLM):
            raise BackendError(
                f"Unknown answer backend {name!r}", f"choose one of: {', '.join(self.backends())}"
            )
        return name

    def _llm_answerer(self) -> Any:
        if self._llm is None:
            from app.llm import LLMAnswerer

            self._llm = LLMAnswerer(self.settings)
        return self._llm


def _llm_configured(settings: Settings) -> bool:
    """openai needs an endpoint URL (the model defaults to the one it serves); ollama and
    llamacpp need a model name or GGUF path."""
    if settings.llm_provider == "openai":
        return bool(settings.llm_base_url)
    return bool(settings.llm_model)


def _clean(question: object, max_chars: int) -> str:
    if not isinstance(question, str) or not question.strip():
        raise QueryError("The question is empty", "type a question about your documents")
    return question.strip()[:max_chars]


def _ms(start: float, end: float) -> float:
    return (end - start) * 1000.0
