"""Finding the spans of a sentence that could answer a factual question.

Each finder returns (start, end) offsets into the sentence: numbers with their qualifier
("more than 30"), dates ("January 1, 2016", "2014"), and runs of capitalised words that name
a person, an organisation or a place ("the University of Tokyo", "Sendai, Japan").
"""

from __future__ import annotations

import re

from app.extractive.question import AnswerType

_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million|billion|dozen)"
)
_QUALIFIER = (
    r"(?:(?:more|fewer|less|greater|higher|lower) than|over|about|around|approximately|"
    r"roughly|nearly|almost|some|up to|at least|at most|under|plus de|environ|pr[eè]s de)"
)
NUMBER = re.compile(
    rf"(?i:\b{_QUALIFIER}\s+)?(?:\$|€|£)?"
    rf"(?:\d+(?:[.,]\d+)*|\b(?i:{_NUMBER_WORD})(?:[- ](?i:{_NUMBER_WORD}))*\b)"
    r"(?:\s?%|\s?(?i:percent|per cent|million|billion|thousand))?"
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|janvier|f[ée]vrier|mars|avril|mai|juin|"
    r"juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)\.?"
)
DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{3,4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|er)?\s+{_MONTH}\s+\d{{3,4}}"
    rf"|{_MONTH}\s+\d{{3,4}}"
    r"|(?:the\s+)?(?:early |late |mid-?)?\d{1,2}(?:st|nd|rd|th)(?:\s+and\s+\d{1,2}(?:st|nd|rd|th))?"
    r"\s+centur(?:y|ies)"
    r"|\d{3,4}s"
    r"|(?:1[0-9]|20)\d{2}(?:\s*(?:-|–|to|and)\s*(?:1[0-9]|20)?\d{2})?(?:\s*(?:BC|AD|BCE|CE))?"
    r"|\d{3}\s*(?:BC|AD|BCE|CE))\b"
)
_CAP = r"(?:[A-Z][\w’'.&-]*|[A-Z]{2,}\w*|\d+[A-Z]\w*)"
_JOIN = r"(?:\s+(?:of|the|de|du|des|la|le|for|d'|von|van|der|y)\s+|\s+|-|\s*&\s*)"
NAME = re.compile(rf"{_CAP}(?:{_JOIN}{_CAP})*")
_PLACE_BEFORE = re.compile(
    r"(?:\bin|\bat|\bnear|\bfrom|\bto|\bbased in|\blocated in|\bsituated in|\bà|\ben|\bau)"
    r"\s+(?:the\s+)?$"
)
_LEADING = frozenset(
    "The A An It Its This That These Those He She They In On At For With From By As And But "
    "Since Several Some One Many Most More Based Latest Le La Les Un Une Des Du De".split()
)


def find_spans(sentence: str, answer_type: AnswerType) -> list[tuple[int, int]]:
    """Candidate answer spans of ``answer_type`` in ``sentence``, in order of position."""
    if answer_type is AnswerType.NUMBER:
        dates = [m.span() for m in DATE.finditer(sentence) if not m.group().isdigit()]
        return [s for s in _matches(NUMBER, sentence) if not _inside(s, dates)]
    if answer_type is AnswerType.DATE:
        return _matches(DATE, sentence)
    names = [s for s in (_trim_name(sentence, m.span()) for m in NAME.finditer(sentence)) if s]
    names = [s for s in names if not DATE.fullmatch(sentence[s[0] : s[1]])]
    if answer_type is AnswerType.PLACE:
        return _join_place_pairs(sentence, [s for s in names if _is_place(sentence, s, names)])
    return names


def _is_place(sentence: str, span: tuple[int, int], names: list[tuple[int, int]]) -> bool:
    """A name after "in", "at", "based in"..., or the second of a "Sendai, Japan" pair."""
    if _PLACE_BEFORE.search(sentence[: span[0]]):
        return True
    return any(end < span[0] and sentence[end : span[0]] == ", " for _, end in names)


def _matches(pattern: re.Pattern[str], sentence: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(sentence) if m.group().strip()]


def _inside(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in others)


def _trim_name(sentence: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """Drop a sentence-initial function word ("The LIMMS" -> "LIMMS") and trailing dots."""
    start, end = span
    text = sentence[start:end]
    first = text.split(maxsplit=1)
    if first and first[0] in _LEADING:
        if len(first) == 1:
            return None
        start += len(text) - len(first[1])
    while end > start and sentence[end - 1] in ".-’'":
        end -= 1
    return (start, end) if end > start else None


def _join_place_pairs(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join "Sendai" and "Japan" in "Sendai, Japan" into one place."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and sentence[joined[-1][1] : start] == ", ":
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined
