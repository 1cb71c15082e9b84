"""The [n] marker: written one way, read in the forms models write it."""

from __future__ import annotations

import pytest

from app.citations import cited, mark, marker, replace_markers, strip_markers


@pytest.mark.parametrize(
    ("sentence", "numbers", "marked"),
    [
        pytest.param("It is 330 m tall.", 1, "It is 330 m tall [1].", id="before-the-full-stop"),
        pytest.param("Is it tall?", [1, 2], "Is it tall [1][2]?", id="several"),
        pytest.param("A list item", 3, "A list item [3].", id="no-punctuation"),
    ],
)
def test_mark_puts_markers_before_the_final_punctuation(
    sentence: str, numbers: int | list[int], marked: str
) -> None:
    assert mark(sentence, numbers) == marked


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        pytest.param("Tall [1]. Old [2].", [1, 2], id="canonical"),
        pytest.param("Tall [1, 3].", [1, 3], id="comma-list"),
        pytest.param("Tall [Passage 2].", [2], id="worded"),
        pytest.param("Tall [1-2] and [source 4].", [1, 2, 4], id="range-and-source"),
        pytest.param("A [note] in brackets.", [], id="not-a-marker"),
    ],
)
def test_cited_reads_the_numbers_models_write(text: str, numbers: list[int]) -> None:
    assert cited(text) == numbers


def test_strip_and_replace_markers() -> None:
    assert strip_markers("Tall [1]. Old [2, 3].") == "Tall. Old."
    assert marker([1, 2]) == "[1][2]"
    linked = replace_markers("Tall [1, 2].", lambda ns, _: "".join(f"<{n}>" for n in ns))
    assert linked == "Tall <1><2>."
