"""Turning fused chunk candidates into passages that never repeat each other.

Neighbouring chunks share whole sentences, so the two best hits are often the same lines
twice. Overlapping hits of one document become one passage when the union still fits in a
chunk; otherwise the better hit is kept whole and the other loses the sentences it shares
with it. The same text in two documents is shown once. Texts are rebuilt from the chunks'
own texts by offset, so ``document_text[start:end] == text`` keeps holding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Place
from retriever.fusion import Candidate
from retriever.passage import Passage

MIN_PIECE_CHARS = 20
"""A leftover shorter than this (after removing shared sentences) is not worth a slot."""


@dataclass(eq=False)
class _Span:
    doc_id: str
    start: int
    end: int
    text: str
    members: list[Candidate] = field(default_factory=list)

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def absorb(self, other: _Span) -> None:
        first, second = (self, other) if self.start <= other.start else (other, self)
        text = first.text
        if second.end > first.end:
            text += second.text[first.end - second.start :]
        self.start, self.end, self.text = first.start, max(first.end, second.end), text
        self.members += other.members


def merge(candidates: list[Candidate], k: int, max_chars: int) -> list[Passage]:
    """The ``k`` best passages, none overlapping another, each at most ``max_chars`` long
    unless a single chunk already is."""
    spans: list[_Span] = []
    for candidate in candidates:
        if len(spans) >= k:
            break
        chunk = candidate.chunk
        span = _Span(chunk.doc_id, chunk.start, chunk.end, chunk.text, [candidate])
        touching = [
            s for s in spans if s.doc_id == span.doc_id and s.overlaps(span.start, span.end)
        ]
        if not touching:
            if not any(s.text.strip() == span.text.strip() for s in spans):
                spans.append(span)
            continue
        low = min(span.start, *(s.start for s in touching))
        high = max(span.end, *(s.end for s in touching))
        if high - low <= max_chars:
            keeper, absorbed = touching[0], {id(s) for s in touching[1:]}
            for other in (span, *touching[1:]):
                keeper.absorb(other)
            spans = [s for s in spans if id(s) not in absorbed]
        else:
            piece = _leftover(span, touching)
            if piece is not None:
                spans.append(piece)
    return [_passage(s) for s in spans]


def _leftover(span: _Span, taken: list[_Span]) -> _Span | None:
    """The longest part of ``span`` outside every span in ``taken``, whitespace trimmed."""
    pieces = [(span.start, span.end)]
    for other in taken:
        pieces = [
            part
            for a, b in pieces
            for part in ((a, min(b, other.start)), (max(a, other.end), b))
            if part[1] > part[0]
        ]
    best: _Span | None = None
    for a, b in pieces:
        text = span.text[a - span.start : b - span.start]
        stripped = text.strip()
        if len(stripped) < MIN_PIECE_CHARS or (
            best is not None and len(stripped) <= len(best.text)
        ):
            continue
        a += len(text) - len(text.lstrip())
        best = _Span(span.doc_id, a, a + len(stripped), stripped, span.members)
    return best


def _places(members: list[Candidate]) -> tuple[Place, ...]:
    """The places of the merged chunks, a plain chunk standing for one place at its start,
    so that a plain chunk on page 3 after one spanning pages 1 and 2 still says page 3."""
    places = {p for c in members for p in (c.chunk.places or (Place(c.chunk.start, c.chunk.page),))}
    if len({p.page for p in places}) == 1 and not any(p.row or p.ocr for p in places):
        return ()
    return tuple(sorted(places, key=lambda p: (p.start, p.row is not None or p.ocr)))


def _passage(span: _Span) -> Passage:
    best = span.members[0]
    first = min(span.members, key=lambda c: c.chunk.start).chunk
    dense = [c.dense for c in span.members if c.dense is not None]
    lexical = [c.lexical for c in span.members if c.lexical is not None]
    ids = sorted({c.chunk.id: c.chunk.index for c in span.members}.items(), key=lambda i: i[1])
    return Passage(
        doc_id=span.doc_id,
        title=first.title,
        source=first.source,
        text=span.text,
        start=span.start,
        end=span.end,
        heading_path=first.heading_path,
        page=first.page,
        fused_score=best.fused,
        dense_score=max(dense) if dense else None,
        lexical_score=max(lexical) if lexical else None,
        chunk_ids=tuple(i for i, _ in ids),
        places=_places(span.members),
        page_unit=first.page_unit,
    )
