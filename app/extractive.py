"""The extractive backend: the sentence that holds the reader's best span, cited.

The short answer is the span itself ("Sendai, Japan"); the answer text is the sentence or
sentences of the passage that the span overlaps, each followed by its ``[n]``; the citation's
quote is that text, so the chat can show it in the passage and mark the span inside it.

Lists are answered whole: a span across two or more items of a list means the answer is the
list, and a quoted sentence that ends in a colon just before a list says no more than "these:"
without it. Both come from the document's layout, not from the wording of the question.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.answer import CANNOT_ANSWER, Answer, AnswerRequest, Backend, Citation
from app.citations import mark, marker
from app.gate.evidence import Evidence, ReadPassage
from ingest.text.lists import LIST_ITEM
from ingest.text.sentences import sentence_spans

CLOSEST_PASSAGES = 3
MAX_LIST_ITEMS = 15
"""A longer list (an index, a table of contents) is quoted up to this many items."""


class ReaderAnswerer:
    """Answers by quoting the sentence that holds the answer span."""

    backend = Backend.EXTRACTIVE

    def stream(self, request: AnswerRequest) -> Iterator[Answer]:
        if request.reader_unsure:
            yield refusal(request.question, request.evidence, self.backend)
            return
        yield self.answer(request.question, request.evidence)

    def answer(self, question: str, evidence: Evidence) -> Answer:
        best = evidence.best
        if best is None:
            return refusal(question, evidence, self.backend)
        pieces = quoted_sentences(best)
        citation = Citation(1, best.passage, _quote(best, pieces), answer_span=best.span)
        return Answer(
            question=question,
            text=_written(best.passage.text, pieces, 1),
            citations=[citation],
            abstained=False,
            backend=self.backend,
            short_answer=best.span,
            passages=evidence.ranked_passages,
            search_query=evidence.search_query,
        )


def quoted_sentences(item: ReadPassage) -> list[tuple[int, int]]:
    """Offsets of the whole sentences (in the passage) that the span overlaps, in order: a
    quote never starts or ends inside a sentence, however long."""
    assert item.reading is not None
    text, start, end = item.passage.text, item.reading.start, item.reading.end
    sentences = sentence_spans(text)
    lo, hi = _with_list(text, start, end)
    pieces = [(s, e) for s, e in sentences if s < hi and e > lo]
    if not pieces:
        pieces = [(start, end)]
    return pieces


def _with_list(text: str, start: int, end: int) -> tuple[int, int]:
    """The span, widened to the whole list when it crosses list items or its sentence
    introduces a list (ends with a colon right before one)."""
    items = _list_items(text)
    crossed = [i for i, (s, e) in enumerate(items) if s < end and e > start]
    if len(crossed) >= 2:
        run = _run(text, items, crossed[0])
        return min(start, run[0][0]), max(end, run[-1][1])
    colon = text.find(":", end)
    if colon < 0 or "\n" in text[end:colon] or any(m in text[end:colon] for m in ".!?"):
        return start, end
    following = next((i for i, (s, _) in enumerate(items) if s > colon), None)
    if following is None or text[colon + 1 : items[following][0]].strip():
        return start, end
    return start, _run(text, items, following)[-1][1]


def _list_items(text: str) -> list[tuple[int, int]]:
    """Offsets of the lines that are list items ("- ...", "* ...", "1. ...")."""
    items, position = [], 0
    for line in text.splitlines(keepends=True):
        if LIST_ITEM.match(line):
            items.append((position, position + len(line.rstrip())))
        position += len(line)
    return items


def _run(text: str, items: list[tuple[int, int]], index: int) -> list[tuple[int, int]]:
    """The list that item ``index`` belongs to: the items around it with only blank space
    between them, at most ``MAX_LIST_ITEMS`` from its first."""
    first = index
    while first > 0 and not text[items[first - 1][1] : items[first][0]].strip():
        first -= 1
    last = index
    while last + 1 < len(items) and not text[items[last][1] : items[last + 1][0]].strip():
        last += 1
    return items[first : min(last + 1, first + MAX_LIST_ITEMS)]


def _quote(item: ReadPassage, pieces: list[tuple[int, int]]) -> str:
    """The stretch of the passage from the first quoted sentence to the last."""
    return item.passage.text[pieces[0][0] : pieces[-1][1]]


def _written(text: str, pieces: list[tuple[int, int]], n: int) -> str:
    """The sentences with their marker; a sentence on a new line (a list item) stays on one."""
    out = ""
    previous_end = None
    for s, e in pieces:
        sentence = " ".join(text[s:e].split())
        if previous_end is not None:
            out += "\n" if "\n" in text[previous_end:s] else " "
        out += mark(sentence, n)
        previous_end = e
    return out


def refusal(question: str, evidence: Evidence, backend: Backend) -> Answer:
    """The fixed refusal sentence, then the closest passages as citations to look at."""
    citations = []
    for n, item in enumerate([i for i in evidence.read if i.reading][:CLOSEST_PASSAGES], 1):
        citations.append(Citation(n, item.passage, _quote(item, quoted_sentences(item))))
    text = CANNOT_ANSWER
    if citations:
        listed = [marker(c.n) for c in citations]
        joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        text += f"\nThe closest passages I found are {joined}."
    return Answer(
        question=question,
        text=text,
        citations=citations,
        abstained=True,
        backend=backend,
        passages=evidence.ranked_passages,
        search_query=evidence.search_query,
    )
