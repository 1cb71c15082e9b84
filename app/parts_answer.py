"""One answer made of the answers to a question's parts, each part with its own citations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from app.answer import CANNOT_ANSWER, Answer, Citation
from app.citations import marker, replace_markers

NOT_FOUND = CANNOT_ANSWER[0].lower() + CANNOT_ANSWER[1:]


def joined_answer(question: str, parts: list[Answer]) -> Answer:
    """The parts' answers in order, citations numbered on; a part the documents do not answer
    is said to be not found, by its own question. When no part is answered, the first part's
    refusal (with its closest passages) stands for the whole question."""
    answered = [a for a in parts if not a.abstained]
    if not answered:
        return dataclasses.replace(parts[0], question=question)
    lines: list[str] = []
    citations: list[Citation] = []
    passages = []
    for part in parts:
        if part.abstained:
            lines.append(f'Not found for "{part.question}": {NOT_FOUND}')
            continue
        offset = len(citations)
        lines.append(replace_markers(part.text, _shifted(offset)))
        citations += [dataclasses.replace(c, n=c.n + offset) for c in part.citations]
        passages += [p for p in part.passages if p not in passages]
    timings: dict[str, float] = {}
    for part in parts:
        for stage, ms in part.timings_ms.items():
            timings[stage] = round(timings.get(stage, 0.0) + ms, 2)
    return dataclasses.replace(
        answered[0],
        question=question,
        text="\n".join(lines),
        citations=citations,
        short_answer="; ".join(a.short_answer for a in answered if a.short_answer) or None,
        passages=passages,
        answerability=min(a.answerability for a in answered),
        search_query=" | ".join(a.search_query for a in parts),
        timings_ms=timings,
    )


def _shifted(offset: int) -> Callable[[list[int], str], str]:
    """Citation markers renumbered ``offset`` places on (a later part's citations follow the
    earlier parts')."""

    def shift(numbers: list[int], _: str) -> str:
        return marker(n + offset for n in numbers)

    return shift
