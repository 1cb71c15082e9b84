"""The chat event: stream one answer into the conversation and its sources into the panel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from app.answer import Answer
from app.conversation import Turn, messages_of
from app.protocols import Engine
from app.web.render import answer_message, pending_message, sources_panel, text, user_message
from app.web.warmup import Warmup
from ingest.errors import CitewiseError

Message = dict[str, str]
EMPTY_QUESTION = "Type a question first: for example one of the suggestions under the box."


def error_message(message: str) -> str:
    return f'<div class="cw-answer cw-error"><div class="cw-body">{text(message)}</div></div>'


class ChatHandler:
    """Answers questions with the one engine shared by every browser session."""

    def __init__(self, engine: Engine, warmup: Warmup) -> None:
        self.engine = engine
        self.warmup = warmup

    def respond(
        self,
        question: str,
        messages: list[Message] | None,
        turns: list[Turn] | None,
        backend: str | None,
        top_k: float | None,
        show_scores: bool,
        scope: list[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Yield (question box, chat, sources panel, turns, answer JSON) as the answer grows.

        ``scope`` (document ids or folder prefixes) limits the search to those documents.
        Saving the conversation is the next event's job (``ConversationPanel.save``)."""
        question = (question or "").strip()
        messages = list(messages or [])
        turns = list(turns or [])
        if not question:
            gr.Warning(EMPTY_QUESTION, duration=6, title="No question")
            yield gr.skip(), messages, gr.skip(), turns, None
            return
        aid = uuid.uuid4().hex[:10]
        doing = "Searching the documents"
        if not self.warmup.ready:
            doing = "Loading the reader model (first answer only), then searching"
        messages.append({"role": "user", "content": user_message(question)})
        messages.append({"role": "assistant", "content": pending_message(doing)})
        yield "", messages, sources_panel(turns, show_scores), turns, None

        final: Answer | None = None
        shown = -1
        try:
            for partial in self.engine.stream(
                question,
                messages_of(turns),
                backend=backend,
                top_k=int(top_k or 0) or None,
                scope=list(scope or []),
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
