"""The default answerer: picks the sentences of the retrieved passages that answer the question.

No model is involved, so it is offline, deterministic and fast. The work is split in an
analysis (parse the question, score every sentence) that abstention also reads, and the
writing of an answer or of a refusal that points at the closest passages.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.answer import CANNOT_ANSWER, Answer
from app.extractive.compose import choose_units, write
from app.extractive.question import AnswerType, QuestionFrame, parse_question
from app.extractive.scoring import Scored, TermWeights, score_units
from app.extractive.short import short_answer
from app.extractive.terms import content_stems
from app.extractive.units import Unit, passage_units
from retriever.passage import Passage

__all__ = ["Analysis", "AnswerType", "ExtractiveAnswerer", "QuestionFrame", "parse_question"]

CLOSEST_PASSAGES = 3


@dataclass
class Analysis:
    """A question read against retrieved passages: every sentence scored, best first."""

    question: str
    search_query: str
    frame: QuestionFrame
    passages: list[Passage]
    units: list[Unit]
    scored: list[Scored]
    weights: TermWeights

    @property
    def chosen(self) -> list[Unit]:
        return choose_units(self.frame, self.scored) if self.scored else []


class ExtractiveAnswerer:
    """Answers by quoting: one to three cited sentences, or a cited list."""

    name = "extractive"

    def analyse(
        self, question: str, passages: list[Passage], search_query: str | None = None
    ) -> Analysis:
        frame = parse_question(question)
        query = search_query or question
        added = tuple(t for t in content_stems(query) if t not in set(frame.terms))
        units = passage_units(passages)
        weights = TermWeights(frame, units, added)
        return Analysis(question, query, frame, passages, units, score_units(frame, units, weights), weights)

    def answer(self, analysis: Analysis) -> Answer:
        """The cited answer; the caller decides beforehand whether to abstain."""
        if not analysis.scored:
            return self.refuse(analysis)
        units = analysis.chosen
        text, citations = write(units)
        return Answer(
            question=analysis.question,
            text=text,
            citations=citations,
            abstained=False,
            backend=self.name,
            short_answer=short_answer(analysis.frame, units),
            passages=list(analysis.passages),
            search_query=analysis.search_query,
        )

    def refuse(self, analysis: Analysis, note: str | None = None) -> Answer:
        """The fixed refusal sentence, then the closest passages as citations to look at."""
        closest: list[Unit] = []
        seen: set[int] = set()
        for scored in analysis.scored:
            if scored.unit.passage_rank not in seen:
                seen.add(scored.unit.passage_rank)
                closest.append(scored.unit)
            if len(closest) == CLOSEST_PASSAGES:
                break
        closest.sort(key=lambda u: u.passage_rank)
        text, citations = write(closest)
        markers = [f"[{c.n}]" for c in citations]
        if markers:
            listed = markers[0] if len(markers) == 1 else ", ".join(markers[:-1]) + " and " + markers[-1]
            text = f"{CANNOT_ANSWER}\nThe closest passages I found are {listed}."
        else:
            text = CANNOT_ANSWER
        return Answer(
            question=analysis.question,
            text=text,
            citations=citations,
            abstained=True,
            backend=self.name,
            passages=list(analysis.passages),
            search_query=analysis.search_query,
            note=note,
        )
