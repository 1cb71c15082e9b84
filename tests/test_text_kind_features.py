"""The text-kind model's features, computed without scikit-learn, are scikit-learn's
HashingVectorizer's, bucket for bucket: the shipped weights were fitted on those, and answering
must not import scikit-learn (it costs more than a second of a first answer)."""

from __future__ import annotations

import itertools
import math
import string
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cold_start import imported_after

from app.gate.text_kind import N_FEATURES, TextKindModel, features

# every character that str.split() and the regular expression \s take for white space
WHITE_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
# 17,576 three-letter words: their n-grams fill most buckets, many of them more than once
MANY_BUCKETS = " ".join("".join(w) for w in itertools.product(string.ascii_lowercase, repeat=3))
TEXTS = [
    "The treaty was signed in 1648 by the representatives of the Holy Roman Empire.",
    "lol this phone is sooo good!!! u should def buy it :( ...",
    "Café naïve résumé: São Paulo, Kraków, Ærøskøbing, İstanbul",
    "東京は日本の首都です。 北京 서울 Москва",
    "emoji 😀👍🏽 and 👨‍👩‍👧 families🎉",
    "tabs\tand\nnewlines\r\n  and   many    spaces\u00a0nbsp\u3000ideographic",
    f"every{WHITE_SPACE}white{WHITE_SPACE[::-1]}space",
    "a b c I x y z",
    "",
    " ",
    "\t\n  \r\n",
    "!!! ??? ... --- (a) [b] {c} <d> \"e\" 'f' «g» — – …",
    "A passage of text. " * 400,
    MANY_BUCKETS,
]


def vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        lowercase=False,
        n_features=N_FEATURES,
        alternate_sign=False,
    )


def assert_features_match_sklearn(texts: list[str]) -> None:
    expected = vectorizer().transform(texts).tocsr()
    for row, text in enumerate(texts):
        start, end = expected.indptr[row], expected.indptr[row + 1]
        indices, values = features(text)
        np.testing.assert_array_equal(indices, expected.indices[start:end], err_msg=repr(text))
        np.testing.assert_allclose(
            values, expected.data[start:end], rtol=0, atol=1e-7, err_msg=repr(text)
        )


def test_the_features_are_sklearns_hashing_vectorizers() -> None:
    assert_features_match_sklearn(TEXTS)


def test_a_text_of_many_words_fills_many_buckets_and_each_with_its_count() -> None:
    indices, values = features(MANY_BUCKETS)
    assert len(indices) > N_FEATURES // 2
    assert len(set(values.tolist())) > 3  # buckets shared by several n-grams count them all
    assert math.isclose(float(values @ values), 1.0)


def test_a_hash_of_minus_2_to_the_31_lands_where_sklearn_puts_it() -> None:
    # sklearn's Cython cannot take abs(-2**31) in int32 and defines the bucket itself;
    # features() relies on Python's abs giving the same bucket
    assert abs(-(2**31)) % N_FEATURES == (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES


def test_a_text_without_words_has_no_features() -> None:
    for text in ["", "   ", "\t\n"]:
        indices, values = features(text)
        assert indices.size == 0 and values.size == 0


def test_a_lone_surrogate_is_hashed_and_does_not_crash() -> None:
    # mmh3 5.3 given the str itself kills the interpreter; so does this test, if it regresses
    indices, values = features("a \ud800 b")
    assert indices.size > 0 and np.isclose(values @ values, 1.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(
            st.characters(exclude_categories=["Cs"]) | st.sampled_from(" \t\n\u00a0\u3000aé東😀.!"),
            max_size=60,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_features_of_any_text_are_sklearns(texts: list[str]) -> None:
    assert_features_match_sklearn(texts)


def test_the_shipped_model_gives_the_probabilities_sklearns_features_give() -> None:
    model = TextKindModel.load()
    texts = [t for t in TEXTS if t.strip()]
    logits = vectorizer().transform(texts) @ model.coef + model.bias
    expected = [1.0 / (1.0 + math.exp(-float(z))) for z in logits]
    assert model.probabilities(texts) == pytest.approx(expected, abs=1e-6)


def test_answering_imports_neither_sklearn_nor_scipy() -> None:
    modules = imported_after(
        "from app.gate.text_kind import TextKindModel\n"
        "TextKindModel.load().informality(['some text'])"
    )
    assert "app" in modules and "mmh3" in modules
    assert not modules & {"sklearn", "scipy"}
