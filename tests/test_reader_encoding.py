"""The reader's windows, cut by the `tokenizers` library alone, are those Hugging Face's
tokenizer cut for the same model (as training and reading did before): the same tokens, the
same characters, the same windows for long texts, token for token."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.reader.encoding import ReaderTokenizer
from app.reader.model import base_model_dir, tokenizer

CORPUS_TEXT = (Path(__file__).parents[1] / "corpus" / "cnrs-insis-international.md").read_text()
ODD = "Ünïcödé — 東京 🎉 tabs\tand\n\nlines,   spaces… l'été « cité » 3.5% x²"


def pairs() -> tuple[list[str], list[str]]:
    """Questions and texts of every length, from one word to many windows, some empty."""
    rng = random.Random(0)
    words = CORPUS_TEXT.split()
    questions, texts = [ODD, "Who?"], [ODD * 40, ""]
    for _ in range(40):
        questions.append(" ".join(rng.choices(words, k=rng.randint(1, 40))))
        texts.append(" ".join(rng.choices(words, k=rng.choice([0, 3, 50, 300, 900]))))
    return questions, texts


@pytest.mark.parametrize(("max_length", "stride"), [(384, 128), (128, 32)])
def test_windows_are_those_of_the_hugging_face_tokenizer(max_length: int, stride: int) -> None:
    from transformers import AutoTokenizer

    questions, texts = pairs()
    expected = AutoTokenizer.from_pretrained(base_model_dir())(
        questions,
        texts,
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    got = tokenizer(max_length, stride).windows(questions, texts)
    assert got.text_index == list(expected["overflow_to_sample_mapping"])
    assert len(got) > len(texts)
    for window in range(len(got)):
        assert got.input_ids[window] == expected["input_ids"][window]
        assert got.token_type_ids[window] == expected["token_type_ids"][window]
        assert got.offsets[window] == [tuple(o) for o in expected["offset_mapping"][window]]
        assert got.sequence_ids[window] == expected.sequence_ids(window)


def test_padded_windows_mask_the_padding() -> None:
    windows = tokenizer().windows(["Who?", "Who?"], ["Short.", CORPUS_TEXT[:1500]])
    arrays = windows.padded()
    lengths = [len(ids) for ids in windows.input_ids]
    assert arrays["input_ids"].shape == (len(windows), max(lengths))
    assert arrays["attention_mask"].sum(axis=1).tolist() == lengths
    assert arrays["input_ids"][0, lengths[0] :].tolist() == [0] * (max(lengths) - lengths[0])


def test_a_long_question_keeps_its_first_tokens_whole() -> None:
    reader_tokenizer: ReaderTokenizer = tokenizer()
    question = "What did the " + "very " * 100 + "old keeper say?"
    cut = reader_tokenizer.first_tokens(question, 64)
    assert question.startswith(cut) and reader_tokenizer.count(cut) == 64
    assert reader_tokenizer.first_tokens("Who?", 64) == "Who?"
