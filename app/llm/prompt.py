"""The prompt: numbered passages, the chat so far, the question, sized to the context window.

Passages go in rank order while they fit next to the instructions and the reserved answer
tokens; the first one that does not fit ends the list, so the model always sees the best-ranked
passages and the numbers [1]..[n] follow the ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from app.answer import CANNOT_ANSWER
from app.citations import strip_markers
from app.llm.tokens import TokenCounter
from retriever.passage import Passage

MESSAGE_OVERHEAD = 8
"""Tokens a chat template adds around each message (role markers, separators)."""

SAFETY_MARGIN = 16
"""Tokens kept free for template details the count cannot see."""

HISTORY_MESSAGES = 4
HISTORY_CHARS = 300

SYSTEM = (
    "You answer questions using only the numbered passages you are given. "
    "Write one to three short sentences. End every sentence with the number of the passage it "
    "comes from in square brackets, like [1]. Do not add facts that are not in the passages. "
    f'If the passages do not contain the answer, reply exactly: "{CANNOT_ANSWER}"'
)


@dataclass(frozen=True)
class Prompt:
    """Messages for the model and which passages they number [1]..[n]."""

    messages: list[BaseMessage]
    passages: list[Passage]
    left_out: int
    tokens: int


def passage_block(n: int, passage: Passage) -> str:
    heading = f" - {passage.heading}" if passage.heading_path else ""
    return f"[{n}] {passage.title}{heading}\n{passage.text.strip()}"


def history_block(history: Sequence[dict[str, str]]) -> str:
    """The last few turns, shortened and without citation markers, to resolve follow-ups."""
    lines = []
    for message in list(history)[-HISTORY_MESSAGES:]:
        who = "User" if message.get("role") == "user" else "Assistant"
        text = " ".join(strip_markers(message.get("content", "")).split())
        if len(text) > HISTORY_CHARS:
            text = text[:HISTORY_CHARS].rsplit(" ", 1)[0] + " ..."
        lines.append(f"{who}: {text}")
    return "\n".join(lines)


def _user_message(blocks: list[str], history: str, question: str) -> str:
    parts = ["Passages:\n\n" + "\n\n".join(blocks)]
    if history:
        parts.append(f"Conversation so far:\n{history}")
    parts.append(f"Question: {question.strip()}")
    return "\n\n".join(parts)


def build_prompt(
    question: str,
    passages: Sequence[Passage],
    history: Sequence[dict[str, str]],
    *,
    context_window: int,
    max_tokens: int,
    count: TokenCounter,
) -> Prompt:
    """The prompt holding as many top-ranked passages as fit in ``context_window``."""
    past = history_block(history)
    fixed = (
        count(SYSTEM)
        + count(_user_message([], past, question))
        + 2 * MESSAGE_OVERHEAD
        + SAFETY_MARGIN
    )
    budget = context_window - max_tokens - fixed
    blocks: list[str] = []
    for n, passage in enumerate(passages, start=1):
        block = passage_block(n, passage)
        cost = count(block) + 2
        if cost > budget:
            break
        blocks.append(block)
        budget -= cost
    user = _user_message(blocks, past, question)
    return Prompt(
        messages=[SystemMessage(SYSTEM), HumanMessage(user)],
        passages=list(passages[: len(blocks)]),
        left_out=len(passages) - len(blocks),
        tokens=context_window - max_tokens - budget,
    )
