"""The kind of text the passages are (edited prose or informal), and the refusal threshold
that moves with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.gate.calibration import Calibration, RefusalModel
from app.gate.text_kind import TextKindModel
from ingest.errors import SettingsError

EDITED = [
    "The treaty was signed in 1648 by the representatives of the Holy Roman Empire.",
    "The river rises in the Alps and flows north for 1,233 kilometres to the North Sea.",
    "In 1905 the company opened its first factory, which employed 300 workers.",
    "The cathedral, completed in the 14th century, is the largest in the region.",
]
INFORMAL = [
    "lol this phone is sooo good!!! u should def buy it",
    "omg the hotel staff were rude af... never going back :(",
    "anyone know if the update fixes the battery thing?? mine dies by noon",
    "ok so i tried it and honestly it's meh, kinda overpriced imo",
]
WIKIPEDIA = (
    "Sendai is the capital city of Miyagi Prefecture, the largest city in the Tohoku region, "
    "and the second-largest city north of Tokyo. It is home to Tohoku University, founded in "
    "1907 as the third of the Imperial Universities."
)
POST = (
    "honestly i bought these headphones last week and the bass is great but the left ear "
    "keeps cutting out lol. anyone else?? thinking of returning them tbh"
)


def test_a_fitted_model_tells_informal_text_from_edited_prose() -> None:
    model = TextKindModel.fit(EDITED + INFORMAL, [False] * len(EDITED) + [True] * len(INFORMAL))
    edited, informal = model.probabilities([WIKIPEDIA, POST])
    assert informal > 0.5 > edited


def test_the_shipped_model_rates_a_post_informal_and_an_encyclopaedia_edited() -> None:
    model = TextKindModel.load()
    edited, informal = model.probabilities([WIKIPEDIA, POST])
    assert edited < 0.3 and informal > 0.7
    assert model.informality([]) == 0.0
    assert model.informality([WIKIPEDIA, POST]) == pytest.approx((edited + informal) / 2)


def test_a_saved_model_loads_with_the_same_verdicts(tmp_path: Path) -> None:
    model = TextKindModel.fit(EDITED + INFORMAL, [False] * len(EDITED) + [True] * len(INFORMAL))
    model.save(tmp_path / "kind.npz")
    loaded = TextKindModel.load(tmp_path / "kind.npz")
    assert loaded.probabilities([WIKIPEDIA, POST]) == pytest.approx(
        model.probabilities([WIKIPEDIA, POST]), abs=1e-3
    )


def test_a_missing_or_broken_model_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="evals.training.calibrate"):
        TextKindModel.load(tmp_path / "missing.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a model")
    with pytest.raises(SettingsError, match="evals.training.calibrate"):
        TextKindModel.load(tmp_path / "broken.npz")


def test_the_refusal_threshold_moves_from_edited_to_informal_with_the_text() -> None:
    model = RefusalModel(
        weights={},
        bias=0.0,
        threshold_edited=0.5,
        threshold_informal=0.3,
        llm_floor_edited=0.2,
        llm_floor_informal=0.1,
    )
    assert model.threshold(0.0) == 0.5
    assert model.threshold(1.0) == 0.3
    assert model.threshold(0.5) == pytest.approx(0.4)
    assert model.threshold(-1.0) == 0.5 and model.threshold(2.0) == 0.3
    assert model.llm_floor(0.0) == 0.2 and model.llm_floor(0.5) == pytest.approx(0.15)


def test_the_shipped_calibration_has_a_threshold_for_each_kind_of_text() -> None:
    refusal = Calibration.load().refusal
    assert 0.0 < refusal.threshold_edited < 1.0
    assert 0.0 < refusal.threshold_informal < 1.0
