"""The retriever's pure parts: terms, fusion, merging and widening, on hand-made chunks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingest.records import Chunk, Place
from ingest.text.index_terms import tokenize
from retriever.fusion import Candidate, fuse
from retriever.merge import merge
from retriever.widen import widen, widen_span

DOC = (
    "Alpha opens the text. Beta follows alpha. Gamma is third. Delta is fourth. "
    "Epsilon is fifth. Zeta is sixth. Eta is seventh. Theta closes the text."
)


def chunk(doc_id: str, index: int, start: int, end: int, text: str = DOC) -> Chunk:
    return Chunk(doc_id, index, text[start:end], start, end, doc_id.title(), f"{doc_id}.txt")


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for part in text.split(". "):
        end = pos + len(part) + (0 if part.endswith(".") else 1)
        spans.append((pos, end))
        pos = end + 1
    return spans


SENTENCES = sentence_offsets(DOC)


def span_of(first: int, last: int) -> tuple[int, int]:
    return SENTENCES[first][0], SENTENCES[last][1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ElyT-MaX", ["elyt-max", "elyt", "max"], id="hyphenated-name-whole-and-parts"),
        pytest.param("H2020", ["h2020", "2020"], id="code-whole-and-number"),
        pytest.param("Évaluation", ["evalu"], id="accents-folded-and-stemmed"),
        pytest.param("en 2016, le projet", ["2016", "projet"], id="french-stopwords-dropped"),
        pytest.param("The Normans' lands", ["norman", "land"], id="english-plural-and-possessive"),
        pytest.param("immunity immune", ["immun", "immun"], id="derived-words-share-a-stem"),
    ],
)
def test_tokenize_keeps_names_numbers_and_folds_words(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_fusion_ranks_a_chunk_found_by_one_side_only() -> None:
    a, b, c = chunk("d", 0, 0, 20), chunk("d", 1, 20, 40), chunk("d", 2, 40, 60)
    fused = fuse(
        [(a, 0.9), (b, 0.8)], [(c, 12.0), (a, 3.0)], dense_weight=1, lexical_weight=1, rrf_k=60
    )
    assert [x.chunk.id for x in fused] == [a.id, c.id, b.id]
    assert (fused[1].dense, fused[1].lexical) == (None, 12.0)
    assert (fused[2].dense, fused[2].lexical) == (0.8, None)


def test_fusion_weights_favour_one_side() -> None:
    a, b = chunk("d", 0, 0, 20), chunk("d", 1, 20, 40)
    fused = fuse([(a, 0.9)], [(b, 5.0)], dense_weight=0.5, lexical_weight=2, rrf_k=60)
    assert fused[0].chunk.id == b.id


def candidates(*chunks: Chunk) -> list[Candidate]:
    return [Candidate(c, fused=1.0 / (i + 1), dense=0.5) for i, c in enumerate(chunks)]


def test_overlapping_chunks_merge_into_one_exact_passage() -> None:
    first, second = chunk("d", 0, *span_of(0, 3)), chunk("d", 1, *span_of(2, 5))
    [passage] = merge(candidates(second, first), k=5, max_chars=1200)
    assert (passage.start, passage.end) == span_of(0, 5)
    assert DOC[passage.start : passage.end] == passage.text
    assert passage.chunk_ids == (first.id, second.id)
    assert passage.fused_score == 1.0


def test_merging_past_the_size_limit_drops_only_the_shared_sentences() -> None:
    better, other = chunk("d", 1, *span_of(2, 5)), chunk("d", 0, *span_of(0, 3))
    limit = span_of(2, 5)[1] - span_of(2, 5)[0] + 10
    kept, rest = merge(candidates(better, other), k=5, max_chars=limit)
    assert (kept.start, kept.end) == span_of(2, 5)
    assert (rest.start, rest.end) == span_of(0, 1)
    assert DOC[rest.start : rest.end] == rest.text
    assert rest.end <= kept.start


def test_a_merge_that_bridges_two_passages_joins_all_three() -> None:
    left, right = chunk("d", 0, *span_of(0, 1)), chunk("d", 2, *span_of(4, 5))
    bridge = chunk("d", 1, *span_of(1, 4))
    passages = merge(candidates(left, right, bridge), k=5, max_chars=1200)
    assert [(p.start, p.end) for p in passages] == [span_of(0, 5)]
    assert passages[0].text == DOC[: span_of(0, 5)[1]]


def test_same_text_in_two_documents_is_returned_once() -> None:
    one, two = chunk("a", 0, *span_of(0, 1)), chunk("b", 0, *span_of(0, 1))
    assert [p.doc_id for p in merge(candidates(one, two), k=5, max_chars=1200)] == ["a"]


def test_merge_stops_at_k_passages() -> None:
    chunks = [chunk("d", i, *SENTENCES[i]) for i in range(6)]
    assert len(merge(candidates(*chunks), k=3, max_chars=1200)) == 3


def test_widen_span_adds_whole_sentences_each_side() -> None:
    assert widen_span(*SENTENCES[3], SENTENCES, 1) == span_of(2, 4)
    assert widen_span(*SENTENCES[0], SENTENCES, 2) == span_of(0, 2)
    assert widen_span(*SENTENCES[7], SENTENCES, 5) == span_of(2, 7)


def test_widened_passages_that_meet_are_joined() -> None:
    found = merge(candidates(chunk("d", 1, *SENTENCES[2]), chunk("d", 3, *SENTENCES[4])), 5, 1200)
    [wide] = widen(found, 1, lambda doc_id: (DOC, SENTENCES))
    assert (wide.start, wide.end) == span_of(1, 5)
    assert wide.text == DOC[wide.start : wide.end]
    assert wide.fused_score == found[0].fused_score


def test_a_merged_passage_knows_the_page_of_each_part() -> None:
    """A chunk spanning pages 1 and 2, merged with a plain chunk of page 3 that overlaps it:
    text from the plain chunk is on page 3, not on the last page the other chunk named."""
    two_pages = replace(chunk("d", 0, 0, 60), page=1, places=(Place(0, page=1), Place(22, page=2)))
    third = replace(chunk("d", 1, 42, 90), page=3)
    [passage] = merge(candidates(two_pages, third), k=3, max_chars=1200)
    assert [passage.location(o) for o in (0, 30, 70)] == ["page 1", "page 2", "page 3"]
    plain = merge(candidates(chunk("d", 0, 0, 40), chunk("d", 1, 20, 60)), k=3, max_chars=1200)
    assert plain[0].places == () and plain[0].location(10) == ""
