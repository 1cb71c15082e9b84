"""The chat tab: the conversation, the question box with suggestions and a scope, the sources
panel and the answer settings. Chat events share the queue's default concurrency limit
(``settings.concurrency_limit``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.engine import LLM_SETTINGS_HINT
from app.protocols import Engine
from app.web.chat import ChatHandler
from app.web.render import sources_panel
from app.web.warmup import Warmup
from ingest.settings import Settings

PLACEHOLDER = (
    "Ask about the indexed documents. Every answer cites its passages: click a number to see "
    "the quote."
)


def backend_choices(engine: Engine) -> tuple[list[tuple[str, str]], str]:
    """The backend menu: both backends always named, the LLM one with how to enable it."""
    llm_ready = "llm" in [str(b) for b in engine.backends()]
    llm_label = "llm (a chat model writes, citations checked)"
    if not llm_ready:
        llm_label = "llm: not configured (see below)"
    choices = [("extractive (reader model quotes the passages; offline)", "extractive"),
               (llm_label, "llm")]  # fmt: skip
    info = "" if llm_ready else f"To enable llm: {LLM_SETTINGS_HINT}; then restart citewise chat."
    return choices, info


@dataclass(frozen=True)
class ChatPanel:
    """The chat tab's components."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    ask: gr.Button
    status: gr.HTML
    chips: list[gr.Button]
    scope: gr.Dropdown
    sources: gr.HTML
    backend: gr.Dropdown
    top_k: gr.Slider
    show_scores: gr.Checkbox
    turns: gr.State
    answer_json: gr.JSON
    ticker: gr.Timer


def chat_tab(
    settings: Settings, engine: Engine, warmup: Warmup, scopes: Sequence[tuple[str, str]]
) -> ChatPanel:
    """The tab's components, laid out in the current Blocks context; ``scopes`` are the
    choices of the "search only in" menu."""
    backends, backend_info = backend_choices(engine)
    backend_value = (
        settings.backend if settings.backend in [v for _, v in backends] else "extractive"
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                elem_id="cw-chat",
                height=500,
                latex_delimiters=[],
                feedback_options=None,
                buttons=[],
                placeholder=PLACEHOLDER,
            )
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Ask a question about the documents…",
                    max_lines=4,
                    scale=6,
                    elem_id="cw-question",
                    autofocus=True,
                )
                ask = gr.Button("Ask", variant="primary", scale=1, min_width=90)
            status = gr.HTML(warmup.status_html(), elem_id="cw-status", js_on_load=None)
            chips = []
            if settings.example_questions:
                gr.Markdown("Try asking:", elem_id="cw-try")
                with gr.Row(elem_id="cw-chips"):
                    chips = [
                        gr.Button(q, size="sm", elem_classes=["cw-chip"], min_width=0)
                        for q in settings.example_questions
                    ]
            scope = gr.Dropdown(
                choices=list(scopes),
                value=[],
                multiselect=True,
                allow_custom_value=True,
                label="Search only in",
                info="Documents or folders (or type a prefix of their ids) for the next "
                "questions; empty = every document.",
                elem_id="cw-scope",
            )
        with gr.Column(scale=2, min_width=340):
            sources = gr.HTML(sources_panel([], False), elem_id="cw-sources", js_on_load=None)
            with gr.Accordion("Answer settings", open=False):
                backend = gr.Dropdown(
                    backends,
                    value=backend_value,
                    label="Answer backend",
                    info=backend_info,
                    elem_id="cw-backend",
                )
                top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages to read")
                show_scores = gr.Checkbox(
                    False, label="Show all retrieved passages with their scores"
                )
    turns = gr.State([])
    answer_json = gr.JSON(visible=False)
    ticker = gr.Timer(1.0)
    return ChatPanel(
        chatbot, question, ask, status, chips, scope, sources, backend, top_k, show_scores,
        turns, answer_json, ticker,
    )  # fmt: skip


def wire_chat(
    panel: ChatPanel,
    chat: ChatHandler,
    saving: tuple[Callable[..., Any], list[Any], list[Any]],
    warmup: Warmup,
) -> None:
    """The tab's events. Each answer is then saved by ``saving`` (handler, inputs, outputs);
    only typing a question is open to API clients (``/ask``)."""
    inputs = [
        panel.question, panel.chatbot, panel.turns, panel.backend, panel.top_k,
        panel.show_scores, panel.scope,
    ]  # fmt: skip
    outputs = [panel.question, panel.chatbot, panel.sources, panel.turns, panel.answer_json]
    private: dict[str, Any] = {"api_visibility": "private"}
    panel.question.submit(chat.respond, inputs, outputs, api_name="ask").then(*saving, **private)
    panel.ask.click(chat.respond, inputs, outputs, **private).then(*saving, **private)
    for chip in panel.chips:
        chip.click(chat.respond, [chip, *inputs[1:]], outputs, **private).then(*saving, **private)

    def rerender(turns: list[Any] | None, show_scores: bool) -> str:
        return sources_panel(list(turns or []), show_scores)

    panel.show_scores.change(rerender, [panel.turns, panel.show_scores], [panel.sources], **private)
    panel.ticker.tick(
        lambda: (warmup.status_html(), gr.Timer(active=not warmup.ready)),
        None,
        [panel.status, panel.ticker],
        show_progress="hidden",
        **private,
    )
