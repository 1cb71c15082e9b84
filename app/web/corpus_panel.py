"""The corpus tab: the indexed documents, uploads into the index, and removal with a
confirmation. Uploads and removals run one at a time under their own ``concurrency_id``, so a
long ingestion never holds up the chat."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from app.scope import folder_prefixes
from app.web.corpus import Corpus, UploadResult, supported_extensions
from app.web.render import text
from ingest.display import counted

INGEST = "ingest"
DOC_COLUMNS = ["Title", "ID", "Chunks", "Ingested at"]
STATUS_CLASS = {"added": "cw-ok", "updated": "cw-ok", "removed": "cw-ok", "failed": "cw-bad"}
CHOOSE_ONE = '<p class="cw-hint">Choose a document to remove.</p>'


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


def scope_choices(corpus: Corpus) -> list[tuple[str, str]]:
    """Every folder prefix of the document ids, then every document."""
    docs = corpus.choices()
    folders = folder_prefixes(doc_id for _, doc_id in docs)
    return [(f"{f} (folder)", f) for f in folders] + docs


@dataclass(frozen=True)
class CorpusPanel:
    """The corpus tab's components."""

    documents: gr.Dataframe
    files: gr.File
    add: gr.Button
    added: gr.HTML
    doc_pick: gr.Dropdown
    remove: gr.Button
    remove_confirm: gr.Column
    remove_text: gr.HTML
    remove_yes: gr.Button
    remove_no: gr.Button
    removed: gr.HTML


def corpus_tab(corpus: Corpus) -> CorpusPanel:
    """The tab's components, laid out in the current Blocks context."""
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
                label=f"Add or replace documents ({', '.join(supported_extensions())}; "
                f"up to {corpus.settings.max_file_mb:g} MB each)",
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
            with gr.Column(visible=False, elem_id="cw-remove-confirm") as remove_confirm:
                remove_text = gr.HTML(js_on_load=None)
                with gr.Row():
                    remove_yes = gr.Button("Yes, remove", variant="stop", size="sm")
                    remove_no = gr.Button("Cancel", size="sm")
            removed = gr.HTML(js_on_load=None)
    return CorpusPanel(
        documents, files, add, added, doc_pick, remove, remove_confirm, remove_text,
        remove_yes, remove_no, removed,
    )  # fmt: skip


class CorpusEvents:
    """What the tab's buttons do; every change refreshes the lists that name documents."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def refresh(self) -> tuple[Any, Any, Any]:
        """(document table, removal menu, scope menu)."""
        return (
            self.corpus.rows(),
            gr.update(choices=self.corpus.choices(), value=None),
            gr.update(choices=scope_choices(self.corpus)),
        )

    def add_files(
        self,
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio injects the tracker)
    ) -> tuple[Any, ...]:
        def report(stage: str, done: int, total: int) -> None:
            progress((done, total) if total else None, desc=stage)

        uploads = [(Path(f), Path(f).name) for f in files or []]
        results = self.corpus.add(uploads, report)
        rows, choices, scopes = self.refresh()
        return results_html(results), rows, choices, None, scopes

    def ask_remove(self, doc_id: str | None) -> tuple[Any, ...]:
        """Removing asks first: (confirmation box, its text, notice)."""
        if not doc_id:
            return gr.update(visible=False), "", CHOOSE_ONE
        return (
            gr.update(visible=True),
            f'<p class="cw-confirm-text">Remove <code>{text(doc_id)}</code> from the index? '
            "Its passages will no longer be searched, and a file uploaded here is deleted "
            "(files elsewhere stay where they are).</p>",
            "",
        )

    def remove_document(self, doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            message = CHOOSE_ONE
        elif self.corpus.remove(doc_id):
            message = results_html([UploadResult(doc_id, "removed")])
        else:
            message = f'<p class="cw-hint">{text(doc_id)} is not in the index.</p>'
        rows, choices, scopes = self.refresh()
        return message, rows, choices, gr.update(visible=False), scopes


def wire_corpus(panel: CorpusPanel, corpus: Corpus, scope: gr.Dropdown, demo: gr.Blocks) -> None:
    """The tab's events; ``scope`` is the chat's "search only in" menu, kept in step."""
    events = CorpusEvents(corpus)
    private: dict[str, Any] = {"api_visibility": "private"}
    panel.add.click(
        events.add_files,
        [panel.files],
        [panel.added, panel.documents, panel.doc_pick, panel.files, scope],
        api_name="add_documents",
        show_progress_on=[panel.added],
        concurrency_id=INGEST,
        concurrency_limit=1,
    )
    panel.remove.click(
        events.ask_remove,
        [panel.doc_pick],
        [panel.remove_confirm, panel.remove_text, panel.removed],
        **private,
    )
    panel.remove_no.click(lambda: gr.update(visible=False), None, [panel.remove_confirm], **private)
    panel.remove_yes.click(
        events.remove_document,
        [panel.doc_pick],
        [panel.removed, panel.documents, panel.doc_pick, panel.remove_confirm, scope],
        api_name="remove_document",
        show_progress_on=[panel.removed],
        concurrency_id=INGEST,
        concurrency_limit=1,
    )
    demo.load(events.refresh, None, [panel.documents, panel.doc_pick, scope], api_name="documents")
