"""The sidebar of saved conversations: open, start, rename, export and delete (asked first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.web.conversations import ConversationPanel


@dataclass(frozen=True)
class Sidebar:
    """The sidebar's components."""

    new_chat: gr.Button
    conversations: gr.Radio
    title_box: gr.Textbox
    rename: gr.Button
    export: gr.DownloadButton
    delete: gr.Button
    delete_confirm: gr.Column
    delete_text: gr.HTML
    delete_yes: gr.Button
    delete_no: gr.Button
    notice: gr.HTML


def conversation_sidebar() -> Sidebar:
    """The sidebar's components, laid out in the current Blocks context."""
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
        delete = gr.Button("Delete conversation", variant="stop", size="sm", elem_id="cw-delete")
        with gr.Column(visible=False, elem_id="cw-delete-confirm") as delete_confirm:
            delete_text = gr.HTML(js_on_load=None)
            with gr.Row():
                delete_yes = gr.Button("Yes, delete", variant="stop", size="sm")
                delete_no = gr.Button("Cancel", size="sm")
        notice = gr.HTML(js_on_load=None, elem_id="cw-sidebar-notice")
    return Sidebar(
        new_chat, conversations, title_box, rename, export, delete, delete_confirm,
        delete_text, delete_yes, delete_no, notice,
    )  # fmt: skip


def wire_sidebar(
    sidebar: Sidebar,
    saved: ConversationPanel,
    current: gr.BrowserState,
    view: list[Any],
    show_scores: gr.Checkbox,
    chatbot: gr.Chatbot,
    demo: gr.Blocks,
) -> None:
    """The sidebar's events. ``view`` is what showing a conversation updates: (chat, turns,
    sources, current, conversations, export, title box)."""
    private: dict[str, Any] = {"api_visibility": "private"}
    renamed = [sidebar.conversations, sidebar.export, sidebar.title_box, sidebar.notice]
    sidebar.conversations.input(saved.open, [sidebar.conversations, show_scores], view, **private)
    sidebar.new_chat.click(saved.new, [show_scores], view, **private)
    chatbot.clear(saved.new, [show_scores], view, **private)
    sidebar.rename.click(saved.rename, [current, sidebar.title_box], renamed, **private)
    sidebar.title_box.submit(saved.rename, [current, sidebar.title_box], renamed, **private)
    sidebar.delete.click(
        saved.ask_delete,
        [current],
        [sidebar.delete_confirm, sidebar.delete_text, sidebar.notice],
        **private,
    )
    sidebar.delete_yes.click(
        saved.delete,
        [current, show_scores],
        [*view, sidebar.delete_confirm, sidebar.notice],
        **private,
    )
    sidebar.delete_no.click(
        lambda: gr.update(visible=False), None, [sidebar.delete_confirm], **private
    )
    demo.load(saved.restore, [current, show_scores], view, **private)
