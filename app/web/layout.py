"""The Gradio app: a sidebar of saved conversations, a chat tab with its sources panel, and a
corpus tab to manage documents.

One engine and one store serve every browser session. Chat events share the queue's default
concurrency limit (``settings.concurrency_limit``); uploads and removals run one at a time
under their own ``concurrency_id`` so a long ingestion never holds up the chat.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import gradio as gr

from app.engine import LLM_SETTINGS_HINT
from app.scope import folder_prefixes
from app.web.chat import ChatHandler
from app.web.conversations import ConversationPanel
from app.web.corpus import Corpus, UploadResult, supported_extensions
from app.web.render import sources_panel, text
from app.web.warmup import Warmup, load_models
from ingest.display import counted
from ingest.settings import Settings

INGEST = "ingest"
DOC_COLUMNS = ["Title", "ID", "Chunks", "Ingested at"]
STATUS_CLASS = {"added": "cw-ok", "updated": "cw-ok", "removed": "cw-ok", "failed": "cw-bad"}

HEADER = (
    '<div id="cw-header"><h1>cite<span>wise</span></h1>'
    "<p>Answers from your documents, each claim linked to the passage it comes from.</p></div>"
)


def results_html(results: list[UploadResult]) -> str:
    """One line per uploaded file: its status, name, and chunks or error."""
    if not results:
        return '<p class="cw-hint">No file given.</p>'
    items = []
    for r in results:
        detail = r.message or (counted(r.chunks, "chunk") if r.chunks else "")
        doc = f" &#8594; <code>{text(r.doc_id)}</code>" if r.doc_id else ""
        items.append(
            f'<li class="{STATUS_CLASS.get(r.status, "cw-same")}"><span class="cw-status">'
            f"{text(r.status)}</span>{text(r.name)}{doc}"
            f"{f' &#183; {text(detail)}' if detail else ''}</li>"
        )
    return f'<ul class="cw-results">{"".join(items)}</ul>'


def _open_store(settings: Settings) -> Any:
    from ingest.store import ChunkStore

    return ChunkStore.open(settings)


def backend_choices(engine: Any) -> tuple[list[tuple[str, str]], str]:
    """The backend menu: both backends always named, the LLM one with how to enable it."""
    llm_ready = "llm" in [str(b) for b in engine.backends()]
    llm_label = "llm (a chat model writes, citations checked)"
    if not llm_ready:
        llm_label = "llm: not configured (see below)"
    choices = [("extractive (reader model quotes the passages; offline)", "extractive"),
               (llm_label, "llm")]  # fmt: skip
    info = "" if llm_ready else f"To enable llm: {LLM_SETTINGS_HINT}; then restart citewise chat."
    return choices, info


def browser_secret(settings: Settings) -> str:
    """The key the browser's note of its open conversation is sealed with: fixed per index,
    so a restarted chat still reopens it. It guards nothing: a conversation id is only ever
    looked up among the logged-in user's own conversations."""
    return hashlib.sha256(str(settings.store_dir.resolve()).encode()).hexdigest()[:32]


def scope_choices(corpus: Corpus) -> list[tuple[str, str]]:
    """Every folder prefix of the document ids, then every document."""
    docs = corpus.choices()
    folders = folder_prefixes(doc_id for _, doc_id in docs)
    return [(f"{f} (folder)", f) for f in folders] + docs


def build_app(
    engine: Any, settings: Settings, store: Any = None, warmup: Warmup | None = None
) -> gr.Blocks:
    """The web chat for ``engine``; ``store`` defaults to the index named by ``settings``, and
    the models start loading in the background unless ``warmup`` is given."""
    warmup = warmup or Warmup(load_models(engine)).start()
    chat = ChatHandler(engine, warmup)
    saved = ConversationPanel(settings.store_dir)
    corpus = Corpus(settings, store if store is not None else _open_store(settings))
    backends, backend_info = backend_choices(engine)
    backend_value = (
        settings.backend if settings.backend in [v for _, v in backends] else "extractive"
    )
    extensions = supported_extensions()

    def refresh() -> tuple[Any, Any, Any]:
        return (
            corpus.rows(),
            gr.update(choices=corpus.choices(), value=None),
            gr.update(choices=scope_choices(corpus)),
        )

    def add_files(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio injects the tracker)
    ) -> tuple[Any, ...]:
        def report(stage: str, done: int, total: int) -> None:
            progress((done, total) if total else None, desc=stage)

        uploads = [(Path(f), Path(f).name) for f in files or []]
        results = corpus.add(uploads, report)
        rows, choices, scopes = refresh()
        return results_html(results), rows, choices, None, scopes

    def ask_remove(doc_id: str | None) -> tuple[Any, ...]:
        """Removing asks first: (confirmation box, its text, notice)."""
        if not doc_id:
            return (
                gr.update(visible=False),
                "",
                '<p class="cw-hint">Choose a document to remove.</p>',
            )
        return (
            gr.update(visible=True),
            f'<p class="cw-confirm-text">Remove <code>{text(doc_id)}</code> from the index? '
            "Its passages will no longer be searched, and a file uploaded here is deleted "
            "(files elsewhere stay where they are).</p>",
            "",
        )

    def remove_document(doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            message = '<p class="cw-hint">Choose a document to remove.</p>'
        elif corpus.remove(doc_id):
            message = results_html([UploadResult(doc_id, "removed")])
        else:
            message = f'<p class="cw-hint">{text(doc_id)} is not in the index.</p>'
        rows, choices, scopes = refresh()
        return message, rows, choices, gr.update(visible=False), scopes

    def rerender(turns: list[Any] | None, show_scores: bool) -> str:
        return sources_panel(list(turns or []), show_scores)

    with gr.Blocks(title="citewise", analytics_enabled=False) as demo:
        current = gr.BrowserState(
            None, storage_key="citewise-open-conversation", secret=browser_secret(settings)
        )
        with gr.Sidebar(label="Conversations", elem_id="cw-sidebar", width=290):
            new_chat = gr.Button("New conversation", variant="primary", size="sm")
            conversations = gr.Radio(
                [],
                label="Conversations",
                info="Saved as you ask; click one to reopen it.",
                elem_id="cw-conversations",
                interactive=True,
            )
            title_box = gr.Textbox(
                label="Title of this conversation", max_lines=1, elem_id="cw-title-box"
            )
            with gr.Row():
                rename = gr.Button("Rename", size="sm", elem_id="cw-rename")
                export = gr.DownloadButton(
                    "Export (Markdown)", size="sm", interactive=False, elem_id="cw-export"
                )
            delete = gr.Button(
                "Delete conversation", variant="stop", size="sm", elem_id="cw-delete"
            )
            with gr.Column(visible=False, elem_id="cw-delete-confirm") as delete_confirm:
                delete_text = gr.HTML(js_on_load=None)
                with gr.Row():
                    delete_yes = gr.Button("Yes, delete", variant="stop", size="sm")
                    delete_no = gr.Button("Cancel", size="sm")
            sidebar_notice = gr.HTML(js_on_load=None, elem_id="cw-sidebar-notice")
        gr.HTML(HEADER, js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
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
                            placeholder="Ask about the indexed documents. Every answer cites "
                            "its passages: click a number to see the quote.",
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
                            choices=scope_choices(corpus),
                            value=[],
                            multiselect=True,
                            allow_custom_value=True,
                            label="Search only in",
                            info="Documents or folders (or type a prefix of their ids) for "
                            "the next questions; empty = every document.",
                            elem_id="cw-scope",
                        )
                    with gr.Column(scale=2, min_width=340):
                        sources = gr.HTML(
                            sources_panel([], False),
                            elem_id="cw-sources",
                            js_on_load=None,
                        )
                        with gr.Accordion("Answer settings", open=False):
                            backend = gr.Dropdown(
                                backends,
                                value=backend_value,
                                label="Answer backend",
                                info=backend_info,
                                elem_id="cw-backend",
                            )
                            top_k = gr.Slider(
                                1, 20, value=settings.top_k, step=1, label="Passages to read"
                            )
                            show_scores = gr.Checkbox(
                                False, label="Show all retrieved passages with their scores"
                            )
                turns = gr.State([])
                answer_json = gr.JSON(visible=False)
                ticker = gr.Timer(1.0)

            with gr.Tab("Corpus", id="corpus"):
                documents = gr.Dataframe(
                    headers=DOC_COLUMNS,
                    value=corpus.rows(),
                    interactive=False,
                    label="Indexed documents",
                    wrap=True,
                    elem_id="cw-documents",
                )
                with gr.Row(equal_height=False):
                    with gr.Column():
                        files = gr.File(
                            file_count="multiple",
                            elem_id="cw-upload",
                            type="filepath",
                            label=f"Add or replace documents ({', '.join(extensions)}; "
                            f"up to {settings.max_file_mb:g} MB each)",
                        )
                        add = gr.Button("Add to index", variant="primary")
                        added = gr.HTML(js_on_load=None)
                    with gr.Column():
                        doc_pick = gr.Dropdown(
                            choices=corpus.choices(),
                            label="Document to remove",
                            value=None,
                            allow_custom_value=True,
                        )
                        remove = gr.Button("Remove from index", variant="stop")
                        with gr.Column(
                            visible=False, elem_id="cw-remove-confirm"
                        ) as remove_confirm:
                            remove_text = gr.HTML(js_on_load=None)
                            with gr.Row():
                                remove_yes = gr.Button("Yes, remove", variant="stop", size="sm")
                                remove_no = gr.Button("Cancel", size="sm")
                        removed = gr.HTML(js_on_load=None)

        view = [chatbot, turns, sources, current, conversations, export, title_box]
        chat_inputs = [question, chatbot, turns, backend, top_k, show_scores, scope]
        chat_outputs = [question, chatbot, sources, turns, answer_json]
        private: dict[str, Any] = {"api_visibility": "private"}
        saving = (saved.save, [turns, current], [current, conversations, export, title_box])
        question.submit(chat.respond, chat_inputs, chat_outputs, api_name="ask").then(
            *saving, **private
        )
        ask.click(chat.respond, chat_inputs, chat_outputs, **private).then(*saving, **private)
        for chip in chips:
            chip.click(chat.respond, [chip, *chat_inputs[1:]], chat_outputs, **private).then(
                *saving, **private
            )
        show_scores.change(rerender, [turns, show_scores], [sources], **private)
        ticker.tick(lambda: (warmup.status_html(), gr.Timer(active=not warmup.ready)),
                    None, [status, ticker], show_progress="hidden", **private)  # fmt: skip

        conversations.input(saved.open, [conversations, show_scores], view, **private)
        new_chat.click(saved.new, [show_scores], view, **private)
        chatbot.clear(saved.new, [show_scores], view, **private)
        rename.click(saved.rename, [current, title_box],
                     [conversations, export, title_box, sidebar_notice], **private)  # fmt: skip
        title_box.submit(saved.rename, [current, title_box],
                         [conversations, export, title_box, sidebar_notice], **private)  # fmt: skip
        delete.click(
            saved.ask_delete, [current], [delete_confirm, delete_text, sidebar_notice], **private
        )
        delete_yes.click(saved.delete, [current, show_scores],
                         [*view, delete_confirm, sidebar_notice], **private)  # fmt: skip
        delete_no.click(lambda: gr.update(visible=False), None, [delete_confirm], **private)

        add.click(
            add_files,
            [files],
            [added, documents, doc_pick, files, scope],
            api_name="add_documents",
            show_progress_on=[added],
            concurrency_id=INGEST,
            concurrency_limit=1,
        )
        remove.click(ask_remove, [doc_pick], [remove_confirm, remove_text, removed], **private)
        remove_no.click(lambda: gr.update(visible=False), None, [remove_confirm], **private)
        remove_yes.click(
            remove_document,
            [doc_pick],
            [removed, documents, doc_pick, remove_confirm, scope],
            api_name="remove_document",
            show_progress_on=[removed],
            concurrency_id=INGEST,
            concurrency_limit=1,
        )
        demo.load(refresh, None, [documents, doc_pick, scope], api_name="documents")
        demo.load(saved.restore, [current, show_scores], view, **private)
    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    return demo
