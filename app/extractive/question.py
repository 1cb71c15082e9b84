"""What a question asks for: the kind of answer expected and the noun it is about.

"How many countries ..." wants a number next to "countries"; "When ..." a date; "Which four
countries ..." a list of four. The answerer uses this to prefer sentences holding such a span
and to cut the short answer out of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from app.extractive.terms import NUMBER_WORDS, content_stems, fold, words


class AnswerType(StrEnum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    ORGANISATION = "organisation"
    LIST = "list"
    OTHER = "other"


@dataclass(frozen=True)
class QuestionFrame:
    """The parsed question: expected answer type, focus noun stems, all content stems."""

    text: str
    answer_type: AnswerType
    focus: tuple[str, ...]
    terms: tuple[str, ...]
    names: frozenset[str] = frozenset()
    count: int | None = None
    among: bool = False
    """The question picks among the members of a group ("which of the labs ..."): the group
    is the answer, so a whole list is shown rather than one item."""
    head: tuple[str, ...] = ()
    """Stems of the phrase naming what is asked for ("the [annual budget] of ...", "how many
    [staff] ..."): an answer has to speak of it."""

    @property
    def factual(self) -> bool:
        return self.answer_type not in (AnswerType.OTHER, AnswerType.LIST)


_NUMBER_Q = re.compile(
    r"\b(how (many|much|long|old|far|large|big|high)|what (number|percentage|proportion|share|"
    r"amount|fraction|size)|combien|quel (nombre|pourcentage))\b"
)
_DATE_Q = re.compile(
    r"\b(when|what (year|date|day|month|century|decade|time)|which (year|date|century|decade)|"
    r"since when|quand|quelle (annee|date)|en quelle annee|depuis quand|how long ago)\b"
)
_PLACE_NOUNS = (
    "country countries city cities place region continent location town state nation island "
    "area province pays ville region lieu"
).split()
_ORG_NOUNS = (
    "university universities company companies institute institution organisation "
    "organization laboratory laboratories lab labs partner partners agency industrialist "
    "industrialists firm school universite entreprise laboratoire partenaire unit units team"
).split()
_PERSON_Q = re.compile(r"^(who|whom|whose|qui)\b|\b(who|whom|qui)\b")
_WHICH = re.compile(r"\b(which|what|quels?|quelles?)\s+((?:\w+\s+){0,2}?)(\w+)")
_LIST_Q = re.compile(
    r"\b(list|name (the|all)|enumerate|what are the|which are the|quels sont|quelles sont)\b"
)
_AUX = frozenset(
    "is are was were do does did has have had can could will would should may might".split()
)


def parse_question(question: str) -> QuestionFrame:
    """Classify ``question`` and find its focus noun (the words after the question word)."""
    text = fold(question)
    terms = tuple(dict.fromkeys(content_stems(question, parts=False)))
    count = _stated_count(text)
    answer_type, focus_words = _classify(question, text)
    focus = tuple(content_stems(" ".join(focus_words)))
    if (
        count is not None
        and answer_type in (AnswerType.OTHER, AnswerType.ORGANISATION, AnswerType.PLACE)
        and count > 1
    ):
        answer_type = AnswerType.LIST
    among = bool(re.search(r"\b(which|what|who|how many|lesquel\w*) of\b", text))
    if among and answer_type is AnswerType.OTHER:
        answer_type = AnswerType.LIST
    return QuestionFrame(
        question,
        answer_type,
        focus,
        terms,
        _name_stems(question),
        count,
        among,
        head_stems(question),
    )


def _classify(question: str, text: str) -> tuple[AnswerType, list[str]]:
    if match := _NUMBER_Q.search(text):
        return AnswerType.NUMBER, _words_after(text, match.end())
    if match := _DATE_Q.search(text):
        return AnswerType.DATE, _words_after(text, match.end())
    if "où" in question.casefold() or re.search(r"\bwhere\b", text):
        return AnswerType.PLACE, []
    if match := _WHICH.search(text):
        noun = match.group(3)
        following = [match.group(3), *_words_after(text, match.end())]
        if noun in _PLACE_NOUNS:
            return (AnswerType.LIST if _plural(noun) else AnswerType.PLACE), following
        if noun in _ORG_NOUNS:
            return (AnswerType.LIST if _plural(noun) else AnswerType.ORGANISATION), following
        if _LIST_Q.search(text) or (_plural(noun) and noun not in _AUX):
            return AnswerType.LIST, following
    if _LIST_Q.search(text):
        return AnswerType.LIST, []
    if _PERSON_Q.search(text):
        return AnswerType.PERSON, []
    return AnswerType.OTHER, []


def _words_after(text: str, position: int, limit: int = 4) -> list[str]:
    """The words right after the question phrase, up to the verb ("how many [IRP labs] does")."""
    taken = []
    for word in words(text[position:]):
        if word.folded in _AUX or len(taken) >= limit:
            break
        taken.append(word.folded)
    return taken


def _plural(noun: str) -> bool:
    return noun.endswith("s") and not noun.endswith("ss") and noun not in ("is", "was", "has")


def _stated_count(text: str) -> int | None:
    """The size a question states for a list ("which four countries" -> 4)."""
    match = re.search(r"\b(?:the|which|what|its|les|quels|quelles)\s+(\w+)\s+\w+", text)
    if match is None:
        return None
    token = match.group(1)
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token) if token not in ("one", "un") else None


def _name_stems(question: str) -> frozenset[str]:
    """Stems of the words that name something (capitalised past the first word, or with
    digits): the rarest, most telling terms of a question."""
    found = []
    for i, word in enumerate(words(question)):
        named = (i > 0 and word.is_capitalised) or any(c.isdigit() for c in word.text)
        shaped = sum(c.isupper() for c in word.text) > 1
        if word.is_content and (named or shaped):
            found.append(word.stem)
    return frozenset(found)


_OPENERS = frozenset(
    "what which who whom whose where when how quel quelle quels quelles qui ou quand comment "
    "combien many much in on at for from by with of to en dans de du des d".split()
)
_DETERMINERS = frozenset(
    "the a an its their his her this these those le la les l un une ce cet cette".split()
)
_SKIPPED = _OPENERS | _AUX | _DETERMINERS | frozenset("est sont etait a ont de".split())
_TYPE_WORDS = frozenset(
    "year date day month century decade time number percentage proportion share fraction amount "
    "size annee nombre pourcentage people person persons personnes thing things".split()
)
_PHRASE_END = frozenset(
    "of in on at for from by with to that which who whose where when after before during "
    "and or than du des de en dans pour sur par avec au aux qui que dont et ou".split()
)
_CATEGORY_WORDS = _TYPE_WORDS | frozenset(_PLACE_NOUNS) | frozenset(_ORG_NOUNS)


def head_stems(question: str) -> tuple[str, ...]:
    """Stems of the head phrase: past the question word, auxiliaries and determiners, the
    words up to the next preposition ("Who is the [director] of ..."). Words naming only the
    kind of answer ("year", "country") are left out: the answer is an instance of them."""
    taken: list[str] = []
    started = False
    for word in words(question):
        folded = word.folded
        if not started and folded in _SKIPPED:
            continue
        if started and (folded in _PHRASE_END or folded in _AUX or len(taken) >= 3):
            break
        started = True
        if word.is_content and not word.is_number and folded not in _CATEGORY_WORDS:
            taken.append(word.stem)
    return tuple(taken)
