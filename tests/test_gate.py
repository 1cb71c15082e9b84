"""The answer gate's decision from the reader's evidence, with the shipped calibration and
text-kind model and thresholds moved around the evidence's answerability. The readings are
given by hand (tests/test_reader_model.py runs the reader; tests/test_llm_band.py the engine
with each verdict)."""

from __future__ import annotations

import dataclasses

import pytest

from app.composition import Models
from app.gate.calibration import Calibration
from app.gate.decision import AnswerGate, Verdict
from app.gate.evidence import Evidence
from app.gate.features import features
from app.reader.reading import Reading
from retriever.passage import Passage

EDITED = (
    "ElyT-MaX, an international joint laboratory of the CNRS, Tohoku University and the "
    "University of Lyon, was created on January 1, 2016. It is based in Sendai, Japan, and "
    "conducts research on the reliability of materials and structures for energy and transport."
)
INFORMAL = (
    "lol ElyT-MaX?? pretty sure they started it jan 2016, in sendai i think!!! :) anyway who "
    "cares, the food there is sooo good tbh, went twice last yr"
)


def passage(text: str) -> Passage:
    return Passage(
        doc_id="doc", title="Doc", source="doc.md", text=text, start=0, end=len(text),
        heading_path=(), page=None, fused_score=1.0, dense_score=0.6, similarity=0.6,
    )  # fmt: skip


def evidence(text: str = EDITED, span: str | None = "2016") -> Evidence:
    reading = None
    if span is not None:
        start = text.lower().index(span)
        reading = Reading(
            score=6.0, null_score=1.0, start=start, end=start + len(span), verdict=1.5
        )
    calibration = Calibration.load()
    question = "When was ElyT-MaX created?"
    return Evidence.build(question, question, [passage(text)], [reading], calibration.rerank)


def gate_with(
    models: Models,
    threshold: float,
    floor: float,
    informal: float | None = None,
    informal_floor: float = 0.0,
) -> AnswerGate:
    """A gate with the shipped refusal model and these thresholds (one for both kinds of text
    unless ``informal`` is given)."""
    base = Calibration.load()
    refusal = dataclasses.replace(
        base.refusal,
        threshold_edited=threshold,
        threshold_informal=threshold if informal is None else informal,
        llm_floor_edited=floor,
        llm_floor_informal=floor if informal is None else informal_floor,
    )
    return AnswerGate(Calibration(base.rerank, refusal), models)


def answerability(found: Evidence) -> float:
    return Calibration.load().refusal.probability(features(found))


def test_the_answerability_is_the_calibrated_models(models: Models) -> None:
    found = evidence()
    decision = AnswerGate(Calibration.load(), models).decide(found)
    assert decision.answerability == answerability(found)
    assert 0.0 < decision.answerability < 1.0


@pytest.mark.parametrize(
    ("above_threshold", "above_floor", "verdict"),
    [
        (True, True, Verdict.ANSWER),
        (False, True, Verdict.LLM_BAND),
        (False, False, Verdict.REFUSE),
    ],
)
def test_the_verdict_follows_the_threshold_and_the_llm_floor(
    above_threshold: bool, above_floor: bool, verdict: Verdict, models: Models
) -> None:
    found = evidence()
    score = answerability(found)
    threshold = score - 0.01 if above_threshold else score + 0.01
    floor = min(threshold, score - 0.01 if above_floor else score + 0.005)
    assert gate_with(models, threshold, floor).decide(found).verdict is verdict


def test_nothing_read_is_refused_whatever_the_thresholds(models: Models) -> None:
    decision = gate_with(models, 0.0, 0.0).decide(evidence(span=None))
    assert decision.verdict is Verdict.REFUSE


def test_informal_passages_are_held_to_the_informal_threshold(models: Models) -> None:
    kind = models.text_kind()
    assert kind.informality([INFORMAL]) > kind.informality([EDITED]) + 0.5
    score = answerability(evidence(INFORMAL, "2016"))
    # edited prose never passes (threshold 1); the informal threshold lets this passage pass
    informality = kind.informality([INFORMAL])
    informal = 1.0 + (score - 0.01 - 1.0) / informality
    gate = gate_with(models, 1.0, 0.0, informal=informal, informal_floor=0.0)
    assert gate.threshold(informality) == pytest.approx(score - 0.01)
    assert gate.decide(evidence(INFORMAL, "2016")).verdict is Verdict.ANSWER
    assert gate.decide(evidence(EDITED, "2016")).verdict is Verdict.LLM_BAND


def test_a_hand_set_threshold_replaces_both_bounds_and_never_reads_the_text_kind(
    monkeypatch: pytest.MonkeyPatch, models: Models
) -> None:
    monkeypatch.setattr(models, "text_kind", None)
    found = evidence()
    score = answerability(found)
    above = AnswerGate(Calibration.load(), models, abstain_threshold=score - 0.01)
    below = AnswerGate(Calibration.load(), models, abstain_threshold=score + 0.01)
    assert above.decide(found).verdict is Verdict.ANSWER
    assert below.decide(found).verdict is Verdict.REFUSE, "no LLM band under a hand-set one"
    assert below.threshold(0.0) == below.threshold(1.0) == below.llm_floor(0.5) == score + 0.01
