"""Where the reader is unsure, a configured LLM decides: the engine on the bundled corpus with
a real llama.cpp server, and calibrations that put the same question above the threshold,
inside the band below it, or under the band."""

from __future__ import annotations

import dataclasses

import pytest
from llama_server import LlamaServer, llama_server_fixture  # noqa: F401 (pytest fixture)

from app.answer import CANNOT_ANSWER, Answer
from app.composition import Components, Models
from app.engine import AnswerEngine
from app.gate.calibration import Calibration
from app.llm.answerer import READER_UNSURE
from ingest.settings import Settings, load_settings

pytestmark = pytest.mark.slow

QUESTION = "When was ElyT-MaX created?"


def engine_with(
    insis_settings: Settings, server: LlamaServer, models: Models, threshold: float, floor: float
) -> AnswerEngine:
    shipped = Calibration.load()
    refusal = dataclasses.replace(
        shipped.refusal,
        threshold_edited=threshold,
        threshold_informal=threshold,
        llm_floor_edited=floor,
        llm_floor_informal=floor,
    )
    calibration = Calibration(shipped.rerank, refusal)
    settings = load_settings(
        store_dir=insis_settings.store_dir,
        llm_provider="openai",
        llm_base_url=server.base_url,
        llm_max_tokens=96,
    )
    parts = Components(settings, models=models)
    return AnswerEngine(
        parts.retriever, parts.store, settings, models=models, calibration=calibration
    )


def llm_was_asked(answer: Answer) -> bool:
    """The LLM wrote (an answer or its own refusal), or wrote something the check rejected."""
    return "llm_generate" in answer.timings_ms or (answer.note or "").startswith("The LLM")


def test_in_the_band_the_extractive_backend_refuses_and_the_llm_is_asked(
    insis_settings: Settings, llama_server: LlamaServer, models: Models
) -> None:
    engine = engine_with(insis_settings, llama_server, models, threshold=0.9999, floor=0.0)
    extractive = engine.answer(QUESTION, backend="extractive")
    assert extractive.abstained and extractive.text.startswith(CANNOT_ANSWER)
    llm = engine.answer(QUESTION, backend="llm")
    assert llm_was_asked(llm)
    if llm.backend != "llm":  # the LLM's answer failed the check: the reader's refusal stands
        assert llm.abstained and (llm.note or "").endswith(READER_UNSURE)


def test_under_the_band_no_backend_asks_the_llm(
    insis_settings: Settings, llama_server: LlamaServer, models: Models
) -> None:
    engine = engine_with(insis_settings, llama_server, models, threshold=0.9999, floor=0.9999)
    answer = engine.answer(QUESTION, backend="llm")
    assert answer.abstained and answer.text.startswith(CANNOT_ANSWER)
    assert not llm_was_asked(answer)


def test_above_the_threshold_both_backends_answer(
    insis_settings: Settings, llama_server: LlamaServer, models: Models
) -> None:
    engine = engine_with(insis_settings, llama_server, models, threshold=0.0, floor=0.0)
    assert not engine.answer(QUESTION, backend="extractive").abstained
    assert llm_was_asked(engine.answer(QUESTION, backend="llm"))
