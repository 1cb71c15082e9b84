"""Vetting an LLM's answer against the passages it was given, before anyone sees it.

Each sentence keeps only the citations whose passage supports it (``app.support``); a sentence
with no supporting citation is re-cited to the best-ranked passage that supports it, and a
sentence no passage supports is dropped (counted, so the answer's note can say so). Citation
numbers out of range are removed, a sentence repeated word for word is kept once (small models
loop), and the survivors are renumbered 1..m in order of appearance, so every marker resolves
and every listed source is cited.

The fixed abstention sentence makes the answer an abstention unless other sentences survive
the check, in which case it is dropped as a non-claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.answer import CANNOT_ANSWER, Citation
from app.citations import MARKER, cited, mark, strip_markers
from app.support import supporting_quote
from ingest.text.folding import fold
from ingest.text.lists import LIST_ITEM
from ingest.text.sentences import sentence_spans
from retriever.passage import Passage

_ABSTAIN = re.sub(r"\W+", " ", fold(CANNOT_ANSWER)).strip()


@dataclass
class CheckedAnswer:
    """The answer text with resolved markers, and what the check changed."""

    text: str
    citations: list[Citation]
    abstained: bool = False
    dropped: list[str] = field(default_factory=list)
    recited: int = 0
    out_of_range: int = 0

    @property
    def note(self) -> str | None:
        """What the check changed, in words, or None when the answer passed as written."""
        parts = []
        if self.dropped:
            n = len(self.dropped)
            parts.append(
                f"{n} sentence{'s' if n > 1 else ''} not supported by the passages "
                f"{'were' if n > 1 else 'was'} removed."
            )
        if self.out_of_range:
            parts.append(f"{self.out_of_range} citation(s) to passages that do not exist removed.")
        if self.recited:
            parts.append(f"The citation of {self.recited} sentence(s) was added or corrected.")
        return " ".join(parts) or None


@dataclass
class _Sentence:
    line: int
    claim: str
    cited: list[int]


def split_sentences(raw: str) -> tuple[list[_Sentence], list[str]]:
    """Sentences of a model's answer with the numbers they cite, and each line's list bullet."""
    sentences: list[_Sentence] = []
    bullets: list[str] = []
    for line_no, line in enumerate(raw.splitlines()):
        bullet = LIST_ITEM.match(line)
        bullets.append(bullet.group().strip() + " " if bullet else "")
        body = line[bullet.end() :] if bullet else line
        for segment in _segments(body):
            claim = " ".join(strip_markers(segment).split())
            if re.search(r"[^\W\d_]", claim):
                sentences.append(_Sentence(line_no, claim, cited(segment)))
    return sentences, bullets


def _segments(line: str) -> list[str]:
    """The sentences of one line as the corpus's splitter finds them, each running to the
    next one's start, so a marker written after the full stop ("tall. [1]") stays with its
    sentence. Markers are blanked while splitting: "tall.[1] The" is cut after "[1]"."""
    blanked = MARKER.sub(lambda m: " " * len(m.group()), line)
    starts = [start for start, _ in sentence_spans(blanked)]
    if not starts:
        return []
    bounds = [0, *starts[1:], len(line)]
    return [line[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def is_abstention(claim: str) -> bool:
    return _ABSTAIN in re.sub(r"\W+", " ", fold(claim))


def check_answer(raw: str, passages: Sequence[Passage]) -> CheckedAnswer:
    """``raw`` with every sentence supported and cited by ``passages`` (numbered from 1)."""
    sentences, bullets = split_sentences(raw)
    result = CheckedAnswer(text="", citations=[])
    numbering: dict[int, int] = {}
    quotes: dict[int, str] = {}
    lines: dict[int, list[str]] = {}
    abstains = False
    seen: set[str] = set()
    for sentence in sentences:
        if is_abstention(sentence.claim):
            abstains = True
            continue
        if sentence.claim in seen:
            continue
        seen.add(sentence.claim)
        in_range = list(dict.fromkeys(n for n in sentence.cited if 1 <= n <= len(passages)))
        result.out_of_range += len(set(sentence.cited) - set(in_range))
        support = _supported(sentence.claim, in_range, passages)
        if not support and (fallback := _first_support(sentence.claim, passages)):
            support = [fallback]
            result.recited += 1
        if not support:
            result.dropped.append(sentence.claim)
            continue
        for index, quote in support:
            if index not in numbering:
                numbering[index] = len(numbering) + 1
                quotes[index] = quote
        numbers = [numbering[index] for index, _ in support]
        lines.setdefault(sentence.line, []).append(mark(sentence.claim, numbers))
    result.text = "\n".join(bullets[line] + " ".join(lines[line]) for line in sorted(lines))
    result.citations = [
        Citation(n=n, passage=passages[index - 1], quote=quotes[index])
        for index, n in numbering.items()
    ]
    result.abstained = abstains and not result.text
    return result


def _supported(claim: str, cited: list[int], passages: Sequence[Passage]) -> list[tuple[int, str]]:
    found = []
    for n in cited:
        quote = supporting_quote(claim, passages[n - 1].text)
        if quote is not None:
            found.append((n, quote))
    return found


def _first_support(claim: str, passages: Sequence[Passage]) -> tuple[int, str] | None:
    for n, passage in enumerate(passages, start=1):
        quote = supporting_quote(claim, passage.text)
        if quote is not None:
            return n, quote
    return None
