"""The sentence-vs-passage support check on hand-made supported and unsupported pairs."""

from __future__ import annotations

import pytest

from app.support import supporting_quote

PASSAGE = (
    "The Eiffel Tower is 330 metres tall. It was built in 1889 for the World's Fair. "
    "Gustave Eiffel's company designed and built it. About 7,000,000 people visit it each year.\n"
    "The Université de Lyon runs three exchange programmes with the tower's engineers."
)


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        pytest.param(
            "The Eiffel Tower is 330 meters tall.",
            "The Eiffel Tower is 330 metres tall.",
            id="same words with a spelling variant outside the key terms",
        ),
        pytest.param(
            "The tower, which Gustave Eiffel's company designed, was built by it.",
            "Gustave Eiffel's company designed and built it.",
            id="paraphrase with the same content words in another order and inflection",
        ),
        pytest.param(
            "Each year about 7000000 people visit the tower.",
            "About 7,000,000 people visit it each year.",
            id="thousands separators do not matter",
        ),
        pytest.param(
            "The Universite de Lyon runs 3 exchange programmes.",
            "The Université de Lyon runs three exchange programmes with the tower's engineers.",
            id="accents folded and small number words read as digits",
        ),
        pytest.param(
            "Built in 1889 for the World's Fair, the tower is 330 metres tall.",
            "The Eiffel Tower is 330 metres tall. It was built in 1889 for the World's Fair.",
            id="a claim combining two sentences quotes both",
        ),
    ],
)
def test_supported_sentence_gets_the_exact_quote_that_supports_it(sentence: str, quote: str):
    found = supporting_quote(sentence, PASSAGE)
    assert found == quote
    assert found in PASSAGE


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("The Eiffel Tower is 324 metres tall.", id="a changed number"),
        pytest.param("It was built in 1890 for the World's Fair.", id="a changed year"),
        pytest.param("The tower was designed by Pierre Dupont.", id="an invented name"),
        pytest.param("The Eiffel Tower is not 330 metres tall.", id="an added negation"),
        pytest.param("The tower has a restaurant on its second floor.", id="an unrelated claim"),
        pytest.param("Yes, of course!", id="no content words"),
    ],
)
def test_unsupported_sentence_has_no_quote(sentence: str):
    assert supporting_quote(sentence, PASSAGE) is None


def test_dropped_negation_is_not_detected_known_limitation():
    """The check is lexical: leaving out a negation the passage makes goes unnoticed."""
    passage = "The tower is not open to visitors at night."
    assert supporting_quote("The tower is open to visitors at night.", passage) == passage


def test_quote_prefers_the_shortest_window_that_supports_the_claim():
    quote = supporting_quote("Gustave Eiffel's company designed the tower.", PASSAGE)
    assert quote == "Gustave Eiffel's company designed and built it."
