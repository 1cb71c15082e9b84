"""The answer engine: question (and chat so far) in, cited answer out, through one backend.

Retrieved passages go through the answer gate (``app.gate``): the reader model reads and ranks
them, and one calibrated model shared by every backend judges how likely they are to answer the
question. Above the refusal threshold every backend answers; below it the extractive backend
refuses, while an LLM still reads the passages in a band just below (where the reader is unsure)
and may answer or refuse by itself; under the band every backend refuses with the same sentence.
The backend asked for is the one used: an LLM that is not configured or not reachable is an
error, never a silent switch to another backend.

A question that asks two things is answered part by part by the extractive backend, which
quotes one span per reading (``app.question_parts``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence

from app.answer import Answer, Answerer, AnswerRequest, Backend
from app.errors import BackendError, EmptyIndexError
from app.extractive import ReaderAnswerer, refusal
from app.followup import search_query, validate_history
from app.gate.calibration import Calibration
from app.gate.decision import AnswerGate, Verdict
from app.parts_answer import joined_answer
from app.protocols import ReaderModels
from app.question_parts import question_parts
from app.scope import describe, resolve_scope
from ingest.protocols import DocumentCatalog
from ingest.settings import Settings
from retriever.protocols import Retriever
from retriever.question import clean_question

LLM_SETTINGS_HINT = (
    "set llm_base_url for an OpenAI-compatible server (e.g. CITEWISE_LLM_BASE_URL="
    "http://127.0.0.1:8080/v1), or llm_provider=ollama with llm_model, or "
    "llm_provider=llamacpp with llm_model=/path/to/model.gguf"
)


class AnswerEngine:
    """Answers questions from a retriever's passages with the extractive or the LLM backend.

    ``documents`` is the index the retriever searches (to resolve a scope and to tell an empty
    index from a question nothing matches); ``models`` loads the reader on the first question.
    ``app.composition.Components(settings).engine`` builds one from settings.
    """

    def __init__(
        self,
        retriever: Retriever,
        documents: DocumentCatalog,
        settings: Settings,
        *,
        models: ReaderModels,
        calibration: Calibration,
    ) -> None:
        self.retriever = retriever
        self.documents = documents
        self.settings = settings
        self.gate = AnswerGate(calibration, models, settings.abstain_threshold)
        self.reader_answerer = ReaderAnswerer()
        self._llm: Answerer | None = None

    def backends(self) -> list[Backend]:
        """The backends that can answer now: extractive, plus llm when one is configured."""
        if _llm_configured(self.settings):
            return [Backend.EXTRACTIVE, Backend.LLM]
        return [Backend.EXTRACTIVE]

    def answer(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        backend: str | None = None,
        top_k: int | None = None,
        scope: Sequence[str] = (),
    ) -> Answer:
        """The final answer (the last of :meth:`stream`)."""
        *_, final = self.stream(question, history, backend, top_k, scope)
        return final

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        backend: str | None = None,
        top_k: int | None = None,
        scope: Sequence[str] = (),
    ) -> Iterator[Answer]:
        """Growing partial answers; the last one is final and complete.

        ``scope`` (document ids or folder prefixes of them) limits the search to those
        documents; the answer names them in ``searched_documents``.
        """
        answerer = self._answerer(backend)
        messages = validate_history(list(history))
        question = clean_question(question, self.settings.max_question_chars)
        k = top_k or self.settings.top_k
        searched = self._scope(scope)
        parts = question_parts(question) if answerer is self.reader_answerer else [question]
        if len(parts) == 1:
            yield from self._stream_one(question, messages, answerer, k, searched)
            return
        answers: list[Answer] = []
        for part in parts:
            *_, final = self._stream_one(part, messages, answerer, k, searched)
            answers.append(final)
            messages = [
                *messages,
                {"role": "user", "content": part},
                {"role": "assistant", "content": final.text},
            ]
        yield joined_answer(question, answers)

    def _stream_one(
        self,
        question: str,
        messages: list[dict[str, str]],
        answerer: Answerer,
        k: int,
        searched: list[str] | None,
    ) -> Iterator[Answer]:
        started = time.perf_counter()
        query = search_query(question, messages)
        passages = self.retriever.search(query, k=k, doc_ids=searched)
        if not passages:
            self._check_index()
        retrieved = time.perf_counter()
        # A follow-up is read with the words its query took from the conversation, so that
        # "which company has a joint lab with it?" names what "it" is to the reader too.
        evidence = self.gate.read(query, query, passages)
        read_at = time.perf_counter()
        decision = self.gate.decide(evidence)
        score = decision.answerability
        timings = {"retrieve": _ms(started, retrieved), "read": _ms(retrieved, read_at)}
        if decision.verdict is Verdict.REFUSE or (
            decision.verdict is Verdict.LLM_BAND and answerer is self.reader_answerer
        ):
            final = refusal(question, evidence, answerer.backend)
            if searched is not None:
                final.note = (
                    f"only {describe(searched)} searched; ask without a scope to search "
                    "every document"
                )
            yield self._finish(final, score, query, timings, read_at, started, searched)
            return
        reader_unsure = decision.verdict is Verdict.LLM_BAND
        request = AnswerRequest(question, messages, evidence, reader_unsure=reader_unsure)
        for partial in answerer.stream(request):
            yield self._finish(partial, score, query, timings, read_at, started, searched)

    def _finish(
        self,
        answer: Answer,
        score: float,
        query: str,
        timings: dict[str, float],
        answering: float,
        started: float,
        searched: list[str] | None,
    ) -> Answer:
        now = time.perf_counter()
        stages = {**timings, **answer.timings_ms, "answer": _ms(answering, now)}
        stages["total"] = _ms(started, now)
        return dataclasses.replace(
            answer,
            answerability=round(score, 4),
            search_query=query,
            timings_ms={k: round(v, 2) for k, v in stages.items()},
            searched_documents=searched,
        )

    def _scope(self, scope: Sequence[str]) -> list[str] | None:
        """The ids of the documents ``scope`` picks; None (every document) when empty."""
        if not [entry for entry in scope if entry.strip()]:
            return None
        return resolve_scope(scope, (r.doc_id for r in self.documents.documents()))

    def _check_index(self) -> None:
        """No passage at all usually means an empty index: say how to fill it."""
        if not self.documents.has_documents():
            raise EmptyIndexError(
                "The index is empty: there are no documents to answer from",
                "run 'citewise ingest corpus/', or ingest your own folder, first",
            )

    def _answerer(self, backend: str | None) -> Answerer:
        name = (backend or self.settings.backend).strip().lower()
        try:
            chosen = Backend(name)
        except ValueError:
            raise BackendError(
                f"Unknown answer backend {name!r}",
                f"choose one of: {', '.join(self.backends())}",
            ) from None
        if chosen is Backend.EXTRACTIVE:
            return self.reader_answerer
        if not _llm_configured(self.settings):
            raise BackendError("The llm backend is not configured", LLM_SETTINGS_HINT)
        if self._llm is None:
            from app.llm import LLMAnswerer

            self._llm = LLMAnswerer(self.settings, fallback=self.reader_answerer)
        return self._llm


def _llm_configured(settings: Settings) -> bool:
    """openai needs an endpoint URL (the model defaults to the one it serves); ollama and
    llamacpp need a model name or GGUF path."""
    if settings.llm_provider == "openai":
        return bool(settings.llm_base_url)
    return bool(settings.llm_model)


def _ms(start: float, end: float) -> float:
    return (end - start) * 1000.0
