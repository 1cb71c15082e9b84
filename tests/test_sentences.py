"""Sentence boundaries: abbreviations, numbers, initials and lines without punctuation."""

from __future__ import annotations

import pytest

from ingest.text.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "It rained. Then it snowed! Did it stop? Yes.",
            ["It rained.", "Then it snowed!", "Did it stop?", "Yes."],
            id="end punctuation splits",
        ),
        pytest.param(
            "Bring tools, e.g. a spade. Plant early, i.e. March. Buy seeds, etc. Then water.",
            [
                "Bring tools, e.g. a spade.",
                "Plant early, i.e. March.",
                "Buy seeds, etc.",
                "Then water.",
            ],
            id="e.g. i.e. and etc. are not cut inside",
        ),
        pytest.param(
            "Dr. Smith lives on St. Mark Street in the U.S. with Mr. Jones. They met in 2019.",
            ["Dr. Smith lives on St. Mark Street in the U.S. with Mr. Jones.", "They met in 2019."],
            id="titles and U.S. do not end sentences",
        ),
        pytest.param(
            "The rate rose to 1.5 per cent. It was 3.14 at most.",
            ["The rate rose to 1.5 per cent.", "It was 3.14 at most."],
            id="decimal numbers are not cut",
        ),
        pytest.param(
            "The book by J. K. Rowling sold well. See Fig. 3 for details.",
            ["The book by J. K. Rowling sold well.", "See Fig. 3 for details."],
            id="initials and Fig. are not cut",
        ),
        pytest.param(
            "Read pp. 12-14 and No. 5 first. He said no. Then he left for the art. It closed.",
            [
                "Read pp. 12-14 and No. 5 first.",
                "He said no.",
                "Then he left for the art.",
                "It closed.",
            ],
            id="No. and pp. hold only before a number",
        ),
        pytest.param(
            'He said "Stop." Then he left. (It was late.) Everyone slept.',
            ['He said "Stop."', "Then he left.", "(It was late.)", "Everyone slept."],
            id="closing quotes and brackets stay with their sentence",
        ),
        pytest.param(
            "# Results\nThe yield doubled.\n\nKey points:\n- Less water\n- More sun\n"
            "1. First\n2. Second",
            [
                "# Results",
                "The yield doubled.",
                "Key points:",
                "- Less water",
                "- More sun",
                "1. First",
                "2. Second",
            ],
            id="headings and list items without punctuation stand alone",
        ),
        pytest.param(
            "Figure 2: soil moisture by month\nThe driest month was July.",
            ["Figure 2: soil moisture by month", "The driest month was July."],
            id="a caption line is its own sentence",
        ),
        pytest.param(
            "A hard wrapped sentence that goes\non to the next line. Another one.",
            ["A hard wrapped sentence that goes\non to the next line.", "Another one."],
            id="a wrapped line continuing in lower case is not cut",
        ),
        pytest.param(
            "Wait... what happened? Nothing…",
            ["Wait... what happened?", "Nothing…"],
            id="an ellipsis before lower case does not split",
        ),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "\n\n\n", " . ", "...", "a", "-\n-\n", "Hi.  \n\n  \n Yo."], ids=repr
)
def test_spans_are_never_empty_and_are_trimmed(text: str) -> None:
    spans = sentence_spans(text)
    for start, end in spans:
        assert end > start
        assert text[start:end] == text[start:end].strip()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_a_range_gives_offsets_into_the_whole_text() -> None:
    text = "Ignore me. First one. Second one. Ignore me too."
    start = text.index("First")
    end = text.index(" Ignore me too")
    spans = sentence_spans(text, start, end)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one."]


def test_spans_cover_all_non_space_text() -> None:
    text = "One. Two, e.g. three!\n\n- four\nFive? (six.)\n"
    covered = "".join(text[a:b] for a, b in sentence_spans(text))
    assert "".join(covered.split()) == "".join(text.split())
