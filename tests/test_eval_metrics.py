"""Each offline metric on small hand-made cases, including the citation support rule."""

from __future__ import annotations

import pytest

from evals.suite.metrics import squad
from evals.suite.metrics.abstention import false_refusal_rate, is_abstention, refusal_rate
from evals.suite.metrics.answer import is_correct, length_words, missing_facts, token_f1
from evals.suite.metrics.citations import (
    Source,
    answer_sentences,
    citation_precision,
    citation_recall,
    score_answer,
    supports,
)
from evals.suite.metrics.latency import percentile
from evals.suite.metrics.retrieval import (
    coverage_at,
    evidence_ranks,
    first_hit,
    hit_at,
    reciprocal_rank,
)
from evals.suite.metrics.text import content_words, normalise

PASSAGE = (
    "ElyT-MaX was created on January 1, 2016. It brings together the University of Lyon and "
    "Tohoku University. Based in Sendai, Japan, its research focuses on the behaviour of "
    "materials in extreme conditions."
)
QUOTE = "ElyT-MaX was created on January 1, 2016."
OTHER = "Forty-six of these candidates obtained their ERC award, out of about 90 researchers."


def test_normalisation_folds_case_accents_punctuation_and_number_words():
    assert normalise("Forty-six, Université; 45%!") == "46 universite 45 percent"
    assert normalise("Twenty one SIX") == "21 6"


def test_content_words_are_stemmed_without_stopwords_or_markers():
    assert content_words("The labs were created [1].") == content_words("lab creation")


class TestRetrieval:
    passages = ["intro text", "the LN2 has a joint\nlaboratory with  St Microelectronics", "Sendai"]

    def test_a_passage_hits_when_it_holds_the_quote_whitespace_aside(self):
        ranks = evidence_ranks(self.passages, ["has a joint laboratory with St Microelectronics"])
        assert ranks == [2]

    def test_multi_evidence_hits_on_any_quote_and_reports_coverage(self):
        ranks = evidence_ranks(self.passages, ["Sendai", "not retrieved"])
        assert ranks == [3, None]
        assert first_hit(ranks) == 3
        assert (hit_at(3, 1), hit_at(3, 5), reciprocal_rank(3)) == (
            False,
            True,
            pytest.approx(1 / 3),
        )
        assert coverage_at(ranks, 5) == 0.5

    def test_nothing_retrieved_scores_zero(self):
        assert first_hit([None]) is None
        assert (hit_at(None, 5), reciprocal_rank(None)) == (False, 0.0)


class TestAnswer:
    facts = [["46", "forty-six"], ["2014"]]

    def test_correct_when_every_fact_has_an_alternative_present(self):
        assert is_correct("Forty-six candidates, since 2014 [1].", self.facts)
        assert is_correct("46 of them (2014).", self.facts)

    def test_a_missing_fact_is_named(self):
        assert missing_facts("46 of them obtained it.", self.facts) == [["2014"]]

    def test_facts_match_whole_words_and_citation_markers_do_not_count(self):
        assert not is_correct("There are 146 in 20145.", [["46"]])
        assert not is_correct("Several were set up [6].", [["6", "six"]])

    def test_dates_and_percentages_match_in_their_normal_forms(self):
        assert is_correct(
            "It was created on 1 January 2016.", [["January 1, 2016", "1 January 2016"]]
        )
        assert is_correct("More than 45 percent are co-authored.", [["45%"]])

    def test_token_f1_and_length(self):
        assert token_f1("Forty-six of them [1].", "46 of them") == 1.0
        assert token_f1("46 candidates", "46 of them") == pytest.approx(0.4)
        assert token_f1("unrelated", "46") == 0.0
        assert length_words("Forty-six of them [1].") == 3


class TestSupportRule:
    source = Source(PASSAGE, QUOTE)

    @pytest.mark.parametrize(
        "sentence",
        [
            pytest.param("ElyT-MaX was created on January 1, 2016.", id="copied"),
            pytest.param("ElyT-MaX, based in Sendai, was created in 2016.", id="recombined"),
            pytest.param(
                "Its research focuses on materials in extreme conditions.", id="shortened"
            ),
            pytest.param(
                "The laboratory brings together Lyon and Tohoku universities.", id="stemmed"
            ),
        ],
    )
    def test_supported_pairs(self, sentence):
        assert supports(sentence, [self.source])

    @pytest.mark.parametrize(
        "sentence",
        [
            pytest.param("ElyT-MaX was created on January 1, 2017.", id="wrong-number"),
            pytest.param(
                "ElyT-MaX was created in 2016 by Thales in Singapore.", id="invented-content"
            ),
            pytest.param("Forty-six candidates obtained their ERC award.", id="other-topic"),
        ],
    )
    def test_unsupported_pairs(self, sentence):
        assert not supports(sentence, [self.source])

    def test_a_quote_absent_from_its_passage_supports_nothing(self):
        assert not supports("ElyT-MaX was created in 2016.", [Source(PASSAGE, "created in 2015")])

    def test_numbers_written_as_words_in_the_passage_support_digits(self):
        assert supports("46 candidates obtained their ERC award.", [Source(OTHER, "Forty-six")])


class TestCitations:
    sources = {1: Source(PASSAGE, QUOTE), 2: Source(OTHER, "Forty-six of these candidates")}

    def test_sentences_keep_the_markers_that_follow_their_full_stop(self):
        text = "Created in 2016 [1]. Based in Sendai. [2]\n- LIMMS (e.g. micro) [1, 2]"
        assert answer_sentences(text) == [
            ("Created in 2016 [1].", (1,)),
            ("Based in Sendai. [2]", (2,)),
            ("LIMMS (e.g. micro) [1, 2]", (1, 2)),
        ]

    def test_fully_supported_answer_scores_one(self):
        scores = score_answer(
            "ElyT-MaX was created in 2016 [1]. 46 candidates obtained an ERC award [2].",
            self.sources,
        )
        assert (citation_recall(scores), citation_precision(scores)) == (1.0, 1.0)

    def test_irrelevant_extra_citation_lowers_precision_only(self):
        scores = score_answer("ElyT-MaX was created in 2016 [1, 2].", self.sources)
        assert (citation_recall(scores), citation_precision(scores)) == (1.0, 0.5)

    def test_a_sentence_needing_two_passages_makes_both_citations_precise(self):
        scores = score_answer(
            "ElyT-MaX was created in 2016 and 46 candidates obtained an ERC award [1][2].",
            self.sources,
        )
        assert (citation_recall(scores), citation_precision(scores)) == (1.0, 1.0)

    def test_uncited_wrongly_cited_and_unknown_citations_are_unsupported(self):
        scores = score_answer(
            "Created in 2016. Sendai hosts it [2]. It is in Japan [9].", self.sources
        )
        assert citation_recall(scores) == 0.0
        assert citation_precision(scores) == 0.0

    def test_no_sentences_gives_no_score(self):
        assert citation_recall([]) is None and citation_precision([]) is None


def test_abstention_is_recognised_by_flag_or_fixed_sentence():
    sentence = "The documents do not contain an answer to this question."
    assert is_abstention(True, "anything", sentence)
    assert is_abstention(False, sentence + " Closest passages: ...", sentence)
    assert not is_abstention(False, "ElyT-MaX was created in 2016.", sentence)
    assert refusal_rate([True, True, False, True]) == 0.75
    assert false_refusal_rate([False, False, False, True]) == 0.25
    assert refusal_rate([]) is None


def test_latency_percentiles_interpolate_like_numpy():
    values = [10.0, 20.0, 30.0, 40.0, 100.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == pytest.approx(88.0)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_squad_official_normalisation_exact_and_f1():
    assert squad.normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert squad.best(squad.exact, "the Normans", ["Normans", "Norman"]) == 1.0
    assert squad.best(
        squad.f1, "in the 10th century", ["10th and 11th centuries"]
    ) == pytest.approx(2 / 7)
    assert squad.best(squad.exact, "", []) == 1.0
    assert squad.contains_gold("They were the Normans of France [1].", ["Normans"])
    assert not squad.contains_gold("Norman rule", ["Normans"])
