"""The Gradio app: a sidebar of saved conversations, a chat tab with its sources panel, and a
corpus tab to manage documents, each built by its own module and put together here.

One set of components (``app.composition.Components``: one engine, one store) serves every
browser session.
"""

from __future__ import annotations

import hashlib

import gradio as gr

from app.composition import Components
from app.web.chat import ChatHandler
from app.web.chat_panel import chat_tab, wire_chat
from app.web.conversations import ConversationPanel
from app.web.corpus import Corpus
from app.web.corpus_panel import corpus_tab, scope_choices, wire_corpus
from app.web.sidebar import conversation_sidebar, wire_sidebar
from app.web.warmup import Warmup, load_models
from ingest.settings import Settings

HEADER = (
    '<div id="cw-header"><h1>cite<span>wise</span></h1>'
    "<p>Answers from your documents, each claim linked to the passage it comes from.</p></div>"
)


def browser_secret(settings: Settings) -> str:
    """The key the browser's note of its open conversation is sealed with: fixed per index,
    so a restarted chat still reopens it. It guards nothing: a conversation id is only ever
    looked up among the logged-in user's own conversations."""
    return hashlib.sha256(str(settings.store_dir.resolve()).encode()).hexdigest()[:32]


def build_app(parts: Components, warmup: Warmup | None = None) -> gr.Blocks:
    """The web chat on ``parts``; the models start loading in the background unless
    ``warmup`` is given."""
    settings = parts.settings
    warmup = warmup or Warmup(load_models(parts)).start()
    chat = ChatHandler(parts.engine, warmup)
    saved = ConversationPanel(settings.store_dir)
    corpus = Corpus(settings, parts.store, parts.embedder, parts.parser)
    with gr.Blocks(title="citewise", analytics_enabled=False) as demo:
        current = gr.BrowserState(
            None, storage_key="citewise-open-conversation", secret=browser_secret(settings)
        )
        sidebar = conversation_sidebar()
        gr.HTML(HEADER, js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                talk = chat_tab(settings, parts.engine, warmup, scope_choices(corpus))
            with gr.Tab("Corpus", id="corpus"):
                documents = corpus_tab(corpus)
        view = [
            talk.chatbot, talk.turns, talk.sources, current, sidebar.conversations,
            sidebar.export, sidebar.title_box,
        ]  # fmt: skip
        saving = (
            saved.save,
            [talk.turns, current],
            [current, sidebar.conversations, sidebar.export, sidebar.title_box],
        )
        wire_chat(talk, chat, saving, warmup)
        wire_corpus(documents, corpus, talk.scope, demo)
        wire_sidebar(sidebar, saved, current, view, talk.show_scores, talk.chatbot, demo)
    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    return demo
