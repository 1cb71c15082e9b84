"""The chat event: stream one answer into the conversation and its sources into the panel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from app.answer import Answer
from app.web.render import (
    Turn,
    answer_message,
    pending_message,
    sources_panel,
    text,
    user_message,
)
from ingest.errors import CitewiseError

Message = dict[str, str]


def engine_history(turns: list[Turn]) -> list[Message]:
    """The conversation as plain text, the form the engine reads follow-up questions from."""
    history: list[Message] = []
    for turn in turns:
        history.append({"role": "user", "content": turn.answer.question})
        history.append({"role": "assistant", "content": turn.answer.text})
    return history


def error_message(message: str) -> str:
    return f'<div class="cw-answer cw-error"><div class="cw-body">{text(message)}</div></div>'


class ChatHandler:
    """Answers questions with the one engine shared by every browser session."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def respond(
        self,
        question: str,
        messages: list[Message] | None,
        turns: list[Turn] | None,
        backend: str | None,
        top_k: float | None,
        show_scores: bool,
    ) -> Iterator[tuple[Any, ...]]:
        """Yield (question box, chat, sources panel, turns, answer JSON) as the answer grows."""
        question = (question or "").strip()
        messages = list(messages or [])
        turns = list(turns or [])
        if not question:
            yield question, messages, sources_panel(turns, show_scores), turns, None
            return
        aid = uuid.uuid4().hex[:10]
        messages.append({"role": "user", "content": user_message(question)})
        messages.append({"role": "assistant", "content": pending_message()})
        yield "", messages, sources_panel(turns, show_scores), turns, None

        final: Answer | None = None
        shown = -1
        try:
            for partial in self.engine.stream(
                question, engine_history(turns), backend=backend, top_k=int(top_k or 0) or None
            ):
                final = partial
                messages[-1] = {"role": "assistant", "content": answer_message(partial, aid, False)}
                panel: Any = gr.skip()
                if len(partial.citations) != shown:
                    shown = len(partial.citations)
                    panel = sources_panel([*turns, Turn(aid, partial)], show_scores)
                yield "", messages, panel, turns, gr.skip()
        except CitewiseError as exc:
            messages[-1] = {"role": "assistant", "content": error_message(str(exc))}
            yield "", messages, sources_panel(turns, show_scores), turns, None
            return
        if final is None:
            return
        turns.append(Turn(aid, final))
        messages[-1] = {"role": "assistant", "content": answer_message(final, aid)}
        yield "", messages, sources_panel(turns, show_scores), turns, final.to_json()
