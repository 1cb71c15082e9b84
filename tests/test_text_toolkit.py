"""The one text toolkit: every part that compares text without a model agrees on its rules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.followup import search_query
from app.llm.check import split_sentences
from app.support import supporting_quote
from ingest.lexical_index import LexicalIndex, question_tokens
from ingest.migrations import ANALYZER
from ingest.records import Chunk
from ingest.text.folding import fold
from ingest.text.index_terms import tokenize
from ingest.text.lists import LIST_ITEM
from ingest.text.numbers import numeral
from ingest.text.sentences import sentence_spans
from ingest.text.stemming import stem
from ingest.text.words import content_stems, words


@pytest.mark.parametrize("word", ["international", "internationally", "internationals"])
def test_international_stems_the_same_in_the_index_the_words_and_the_questions(word: str):
    assert stem(word) == "internat"
    assert tokenize(word.capitalize()) == ["internat"]
    assert content_stems(f"{word.upper()} exchanges") == ["internat", "exchang"]
    assert question_tokens(f"{word} exchanges")[:2] == ["internat", "exchang"]


def test_stems_are_snowball_english_and_short_words_codes_and_numbers_stay_whole():
    assert [stem(w) for w in ("universities", "generously", "running", "evaluation")] == [
        "universiti",
        "generous",
        "run",
        "evalu",
    ]
    assert [stem(w) for w in ("labs", "news", "h2020", "2016")] == ["labs", "news", "h2020", "2016"]


def test_the_support_check_matches_inflections_through_the_same_stems():
    passage = "The Université de Lyon runs international exchanges with its researchers."
    assert supporting_quote("Lyon's researchers work internationally.", passage) == passage


def test_folding_drops_case_accents_and_typographic_apostrophes():
    assert fold("L’Évaluation NAÏVE") == "l'evaluation naive"
    assert [w.folded for w in words("l’Université d'été")] == ["universite", "ete"]


def test_index_drops_function_words_but_keeps_wording_that_may_name_something():
    assert tokenize("The meeting of May is in the hall") == ["meet", "may", "hall"]
    assert content_stems("Which one is named after May?") == []


def test_numerals_are_compared_without_separators_or_percent_signs():
    assert [numeral(n) for n in ("1,200", "45%", "3.14", "2016")] == ["1200", "45", "3.14", "2016"]


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_splitter_does_not_cut_abbreviations_initials_or_decimals():
    text = (
        "Dr. Smith met J. R. Jones in the U.S. on Jan. 5 (see Fig. 3). "
        "The rate rose to 3.14 per cent, e.g. in Lyon. It fell after."
    )
    assert _sentences(text) == [
        "Dr. Smith met J. R. Jones in the U.S. on Jan. 5 (see Fig. 3).",
        "The rate rose to 3.14 per cent, e.g. in Lyon.",
        "It fell after.",
    ]


def test_splitter_starts_a_sentence_at_every_list_item():
    text = "Steps to follow\n1. Mix the flour\n2) Add water\na) stir well\n- bake it\n• serve"
    assert _sentences(text) == [
        "Steps to follow",
        "1. Mix the flour",
        "2) Add water",
        "a) stir well",
        "- bake it",
        "• serve",
    ]


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("- bake", True),
        ("  • serve", True),
        ("12) add", True),
        ("b. stir", True),
        ("C) mix", True),
        ("A. Smith wrote", False),
        ("– dash", True),
        ("1990. The war ended.", False),
        ("-5 degrees", False),
    ],
)
def test_list_item_marker(line: str, item: bool):
    assert bool(LIST_ITEM.match(line)) is item


def test_llm_answers_split_like_the_corpus_with_markers_kept_with_their_sentence():
    raw = "Dr. Smith built it, e.g. a tower, in 1889.[1] It is 330 m tall. [2]\n2. Rome is big [3]."
    sentences, bullets = split_sentences(raw)
    assert [(s.claim, s.cited) for s in sentences] == [
        ("Dr. Smith built it, e.g. a tower, in 1889.", [1]),
        ("It is 330 m tall.", [2]),
        ("Rome is big.", [3]),
    ]
    assert bullets == ["", "2. "]


def test_follow_up_takes_names_from_the_first_sentence_only_as_the_splitter_finds_it():
    history = [
        {"role": "user", "content": "Who designed the tower?"},
        {"role": "assistant", "content": "Dr. Gustave Eiffel designed it [1]. Koechlin drew it."},
    ]
    query = search_query("When did he die?", history)
    assert "Eiffel" in query and "Koechlin" not in query


def _chunk(text: str) -> tuple[str, str, list[Chunk]]:
    return "note.txt", "a" * 64, [Chunk("note.txt", 0, text, 0, len(text), "Note", "note.txt")]


def test_postings_built_with_another_analyzer_are_rebuilt_with_this_one(tmp_path: Path):
    path = tmp_path / "lexical.sqlite3"
    index = LexicalIndex(path)
    index.apply([_chunk("International exchanges with Lyon.")])
    index.close()
    assert LexicalIndex(path).postings_current(), "the same analyzer keeps its postings"

    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = ?", (ANALYZER,))
        db.execute("PRAGMA user_version = 4")  # as written before migration 5
    reopened = LexicalIndex(path)
    assert not reopened.postings_current()
    reopened.update_postings()
    assert reopened.postings_current()
    [(chunk_id, _)] = reopened.search("internationally", 1)
    assert chunk_id.startswith("note.txt#")
