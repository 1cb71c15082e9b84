"""The default answerer: picks the sentences of the retrieved passages that answer the question.

No model is involved, so it is offline, deterministic and fast. The work is split in an
analysis (parse the question, score every sentence) that abstention also reads, and the
writing of an answer or of a refusal that points at the closest passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
_SECOND_QUESTION = re.compile(
    r"\s*,?\s+(?:and|et)\s+(?=(?:(?:in|on|at|from|with|by|for|of|to|en|dans|avec)\s+)?"
    r"(?:when|where|which|what|who|whom|whose|how|why|quand|quel|quelle|quels|quelles|combien|"
    r"o[uù]|qui)\b)",
    re.IGNORECASE,
)


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
    parts: list[tuple[QuestionFrame, list[Scored]]] = field(default_factory=list)
    """For a question that asks two things ("When ... and where ...?"), each part scored."""

    @property
    def chosen(self) -> list[Unit]:
        if not self.scored:
            return []
        if not self.parts:
            return choose_units(self.frame, self.scored)
        chosen: list[Unit] = []
        for frame, scored in self.parts:
            chosen += [u for u in choose_units(frame, scored) if u not in chosen]
        return chosen

    def short_answer(self) -> str | None:
        if not self.parts:
            return short_answer(self.frame, self.chosen)
        shorts = [short_answer(f, choose_units(f, s)) for f, s in self.parts]
        return "; ".join(s for s in shorts if s) or None


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
        scored = score_units(frame, units, weights)
        parts = []
        for part in split_question(question):
            part_frame = parse_question(part)
            part_weights = TermWeights(part_frame, units, added)
            parts.append((part_frame, score_units(part_frame, units, part_weights)))
        return Analysis(question, query, frame, passages, units, scored, weights, parts)

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
            short_answer=analysis.short_answer(),
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
            listed = (
                markers[0] if len(markers) == 1 else ", ".join(markers[:-1]) + " and " + markers[-1]
            )
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


def split_question(question: str) -> list[str]:
    """The two questions of "When was X created and where is it based?", each standalone
    (the names of the first are added to the second); one question gives ``[]``."""
    pieces = _SECOND_QUESTION.split(question, maxsplit=1)
    if len(pieces) < 2 or not pieces[0].strip() or not pieces[1].strip():
        return []
    first, second = pieces[0].strip(), pieces[1].strip()
    names = [w for w in first.split()[1:] if w[:1].isupper()]
    return [first, " ".join([second, *names])]
