"""The Gradio app: a chat tab with its sources panel, and a corpus tab to manage documents.

One engine and one store serve every browser session. Chat events share the queue's default
concurrency limit (``settings.concurrency_limit``); uploads and removals run one at a time
under their own ``concurrency_id`` so a long ingestion never holds up the chat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from app.web.chat import ChatHandler
from app.web.corpus import Corpus, UploadResult, supported_extensions
from app.web.render import sources_panel, text
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


def build_app(engine: Any, settings: Settings, store: Any = None) -> gr.Blocks:
    """The web chat for ``engine``; ``store`` defaults to the index named by ``settings``."""
    chat = ChatHandler(engine)
    corpus = Corpus(settings, store if store is not None else _open_store(settings))
    backends = [str(b) for b in engine.backends()]
    backend_value = settings.backend if settings.backend in backends else backends[0]
    extensions = supported_extensions()

    def refresh() -> tuple[Any, Any]:
        return corpus.rows(), gr.update(choices=corpus.choices(), value=None)

    def add_files(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio injects the tracker)
    ) -> tuple[Any, ...]:
        def report(stage: str, done: int, total: int) -> None:
            progress((done, total) if total else None, desc=stage)

        uploads = [(Path(f), Path(f).name) for f in files or []]
        results = corpus.add(uploads, report)
        rows, choices = refresh()
        return results_html(results), rows, choices, None

    def remove_document(doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            message = '<p class="cw-hint">Choose a document to remove.</p>'
        elif corpus.remove(doc_id):
            message = results_html([UploadResult(doc_id, "removed")])
        else:
            message = f'<p class="cw-hint">{text(doc_id)} is not in the index.</p>'
        rows, choices = refresh()
        return message, rows, choices

    def rerender(turns: list[Any] | None, show_scores: bool) -> str:
        return sources_panel(list(turns or []), show_scores)

    def reset(show_scores: bool) -> tuple[Any, ...]:
        return [], [], sources_panel([], show_scores), None

    with gr.Blocks(title="citewise", analytics_enabled=False) as demo:
        gr.HTML(HEADER, js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            label="Conversation",
                            show_label=False,
                            elem_id="cw-chat",
                            height=560,
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
                        if settings.example_questions:
                            gr.Examples(
                                [[q] for q in settings.example_questions],
                                inputs=[question],
                                label="Try asking",
                            )
                    with gr.Column(scale=2, min_width=340):
                        sources = gr.HTML(
                            sources_panel([], False),
                            elem_id="cw-sources",
                            js_on_load=None,
                        )
                        with gr.Accordion("Answer settings", open=False):
                            backend = gr.Dropdown(
                                backends, value=backend_value, label="Answer backend"
                            )
                            top_k = gr.Slider(
                                1, 20, value=settings.top_k, step=1, label="Passages to read"
                            )
                            show_scores = gr.Checkbox(
                                False, label="Show all retrieved passages with their scores"
                            )
                            clear = gr.Button("New conversation", size="sm")
                turns = gr.State([])
                answer_json = gr.JSON(visible=False)

            with gr.Tab("Corpus", id="corpus"):
                documents = gr.Dataframe(
                    headers=DOC_COLUMNS,
                    value=corpus.rows(),
                    interactive=False,
                    label="Indexed documents",
                    wrap=True,
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
                        removed = gr.HTML(js_on_load=None)

        chat_inputs = [question, chatbot, turns, backend, top_k, show_scores]
        chat_outputs = [question, chatbot, sources, turns, answer_json]
        question.submit(chat.respond, chat_inputs, chat_outputs, api_name="ask")
        ask.click(chat.respond, chat_inputs, chat_outputs, api_visibility="private")
        show_scores.change(rerender, [turns, show_scores], [sources], api_visibility="private")
        clear.click(
            reset, [show_scores], [chatbot, turns, sources, answer_json], api_visibility="private"
        )
        chatbot.clear(
            reset, [show_scores], [chatbot, turns, sources, answer_json], api_visibility="private"
        )
        add.click(
            add_files,
            [files],
            [added, documents, doc_pick, files],
            api_name="add_documents",
            show_progress_on=[added],
            concurrency_id=INGEST,
            concurrency_limit=1,
        )
        remove.click(
            remove_document,
            [doc_pick],
            [removed, documents, doc_pick],
            api_name="remove_document",
            show_progress_on=[removed],
            concurrency_id=INGEST,
            concurrency_limit=1,
        )
        demo.load(refresh, None, [documents, doc_pick], api_name="documents")
    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    return demo
