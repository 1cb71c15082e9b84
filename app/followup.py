"""Turning a follow-up question into a query that can be searched on its own, without an LLM.

"Which university is it run with?" says nothing searchable about "it". When a question leans
on the conversation (a pronoun, an ellipsis such as "And in 2015?", or too few words of its
own), the salient words of the previous question and the names and short answer of the
previous answer are appended to it. Standalone questions are searched as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from app.answer import CANNOT_ANSWER
from app.citations import strip_markers
from app.errors import HistoryError
from ingest.text.sentences import sentence_spans
from ingest.text.stopwords import QUESTION_WORDS
from ingest.text.words import content_stems, words

_REFERRING = frozenset(
    """it its it's they them their theirs this that these those he him his she her there
    such former latter same il elle ils elles lui leur leurs celui celle ceux cela ça y""".split()
)
_ELLIPSIS = re.compile(r"^\s*(and|what about|how about|et|also|same|then)\b", re.IGNORECASE)
MIN_OWN_TERMS = 2
MAX_ADDED_WORDS = 8


def validate_history(history: object) -> list[dict[str, str]]:
    """The history as a list of messages, or a HistoryError saying what is wrong."""
    if not isinstance(history, Sequence) or isinstance(history, str):
        raise HistoryError('The history must be a list of {"role", "content"} messages')
    messages = []
    for i, message in enumerate(history):
        if not isinstance(message, Mapping):
            raise HistoryError(f"History message {i + 1} is not an object with role and content")
        role, content = message.get("role"), message.get("content")
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise HistoryError(
                f"History message {i + 1} needs a role of 'user' or 'assistant' and a text content"
            )
        messages.append({"role": role, "content": content})
    return messages


def needs_context(question: str) -> bool:
    """Whether ``question`` leans on what was said before."""
    folded = [w.folded for w in words(question)]
    if any(w in _REFERRING for w in folded) or _ELLIPSIS.match(question):
        return True
    own = [t for t in content_stems(question) if t not in QUESTION_WORDS]
    return len(own) < MIN_OWN_TERMS


def search_query(question: str, history: Sequence[Mapping[str, str]]) -> str:
    """The question, with context words from the conversation added when it needs them."""
    if not history or not needs_context(question):
        return question
    previous_question = next(
        (m["content"] for m in reversed(history) if m["role"] == "user" and m["content"].strip()),
        "",
    )
    previous_answer = next(
        (m["content"] for m in reversed(history) if m["role"] == "assistant"), ""
    )
    own = set(content_stems(question))
    added: list[str] = []
    for word in _salient(previous_question) + _names(_first_sentence(previous_answer)):
        stems = content_stems(word)
        if stems and not set(stems) <= own and word not in added:
            added.append(word)
            own |= set(stems)
    if not added:
        return question
    return f"{question} {' '.join(added[:MAX_ADDED_WORDS])}"


def _salient(text: str) -> list[str]:
    """The words of a question worth searching again: names first, then content words."""
    found = [w for w in words(text) if w.is_content]
    named = [w.text for w in found if w.is_capitalised or w.is_number]
    return named + [w.text for w in found if w.text not in named]


def _names(text: str) -> list[str]:
    """Capitalised words and numbers of an answer: the entities it talks about."""
    return [
        w.text
        for w in words(text)
        if (w.is_capitalised or w.text[:1].isdigit()) and not w.is_stopword
    ]


def _first_sentence(answer: str) -> str:
    """The answer's first sentence without markers; nothing if it was a refusal."""
    if answer.startswith(CANNOT_ANSWER):
        return ""
    text = strip_markers(answer)
    spans = sentence_spans(text)
    return text[spans[0][0] : spans[0][1]] if spans else ""
