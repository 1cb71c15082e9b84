"""The conversation list's work: save answers as they come, reopen, rename, delete, export.

Every handler takes the Gradio request so that, with ``auth`` set, it reads and writes the
logged-in user's conversations only (see ``app.conversation_store``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from app.conversation import Conversation, Turn
from app.conversation_markdown import conversation_markdown
from app.conversation_store import ConversationStore
from app.web.render import answer_message, sources_panel, text, user_message
from ingest.errors import CitewiseError

SLUG_CHARS = re.compile(r"[^a-z0-9]+")
NOTHING_SAVED = "No saved conversation is open: a conversation is saved with its first answer."


def chat_messages(turns: list[Turn]) -> list[dict[str, str]]:
    """The chat bubbles of answered turns, as the chat showed them when they were asked."""
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": user_message(turn.answer.question)})
        messages.append({"role": "assistant", "content": answer_message(turn.answer, turn.aid)})
    return messages


def notice(message: str, kind: str = "cw-hint") -> str:
    return f'<p class="{kind}">{text(message)}</p>'


class ConversationPanel:
    """Saved conversations of the store folder, for the sidebar and the chat."""

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir
        self.export_dir = Path(tempfile.mkdtemp(prefix="citewise-export-"))

    def store(self, request: gr.Request | None) -> ConversationStore:
        return ConversationStore(self.store_dir, getattr(request, "username", None))

    def listing(self, request: gr.Request | None, selected: str | None) -> Any:
        """The sidebar list, with ``selected`` marked."""
        choices = [(s.title, s.id) for s in self.store(request).list()]
        ids = {value for _, value in choices}
        return gr.update(choices=choices, value=selected if selected in ids else None)

    def save(
        self, turns: list[Turn] | None, conversation_id: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        """Save the answers of the chat that its conversation file lacks (a new conversation
        if none is open); returns (current id, list, export button, title box)."""
        turns = list(turns or [])
        if not turns:
            return (gr.skip(),) * 4
        store = self.store(request)
        conversation = Conversation()
        if conversation_id:
            try:
                conversation = store.load(conversation_id)
            except CitewiseError:  # deleted meanwhile, e.g. in another tab: start a new one
                conversation = Conversation()
        saved = {t.aid for t in conversation.turns}
        for turn in turns:
            if turn.aid not in saved:
                conversation.add(turn)
        try:
            store.save(conversation)
        except OSError as exc:
            gr.Warning(f"The conversation could not be saved: {exc}")
            return (gr.skip(),) * 4
        return (
            conversation.id,
            self.listing(request, conversation.id),
            self.export_button(conversation),
            conversation.title,
        )

    def export_file(self, conversation: Conversation) -> str:
        """The conversation as a Markdown file named after its title, for the download."""
        slug = SLUG_CHARS.sub("-", conversation.title.lower()).strip("-")[:60] or "conversation"
        path = self.export_dir / conversation.id / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("*.md"):
            old.unlink()
        path.write_text(conversation_markdown(conversation), encoding="utf-8")
        return str(path)

    def export_button(self, conversation: Conversation | None) -> Any:
        if conversation is None or not conversation.turns:
            return gr.update(value=None, interactive=False)
        return gr.update(value=self.export_file(conversation), interactive=True)

    def view(
        self, conversation: Conversation | None, show_scores: bool, request: gr.Request | None
    ) -> tuple[Any, ...]:
        """(chat, turns, sources, current id, list, export button, title box) showing
        ``conversation``, or an empty new one."""
        turns = list(conversation.turns) if conversation else []
        selected = conversation.id if conversation else None
        return (
            chat_messages(turns),
            turns,
            sources_panel(turns, show_scores),
            selected,
            self.listing(request, selected),
            self.export_button(conversation),
            conversation.title if conversation else "",
        )

    # Sidebar events ---------------------------------------------------------------------------

    def open(
        self, conversation_id: str | None, show_scores: bool, request: gr.Request
    ) -> tuple[Any, ...]:
        """Reopen a saved conversation with its answers and their sources."""
        if not conversation_id:
            return self.view(None, show_scores, request)
        try:
            conversation = self.store(request).load(conversation_id)
        except CitewiseError as exc:
            gr.Warning(str(exc))
            return self.view(None, show_scores, request)
        return self.view(conversation, show_scores, request)

    def restore(
        self, conversation_id: str | None, show_scores: bool, request: gr.Request
    ) -> tuple[Any, ...]:
        """On page load: the conversation this browser had open, if it still exists."""
        try:
            conversation = self.store(request).load(conversation_id) if conversation_id else None
        except CitewiseError:
            conversation = None
        return self.view(conversation, show_scores, request)

    def new(self, show_scores: bool, request: gr.Request) -> tuple[Any, ...]:
        return self.view(None, show_scores, request)

    def rename(
        self, conversation_id: str | None, title: str, request: gr.Request
    ) -> tuple[Any, ...]:
        """(list, export button, title box, notice) after renaming the open conversation."""
        if not conversation_id:
            return gr.skip(), gr.skip(), "", notice(NOTHING_SAVED)
        try:
            conversation = self.store(request).rename(conversation_id, title)
        except CitewiseError as exc:
            return gr.skip(), gr.skip(), gr.skip(), notice(str(exc), "cw-hint cw-bad")
        return (
            self.listing(request, conversation.id),
            self.export_button(conversation),
            conversation.title,
            notice("Renamed."),
        )

    def ask_delete(self, conversation_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """(confirmation box, its question, notice): deleting asks first, naming what goes."""
        hidden = gr.update(visible=False)
        if not conversation_id:
            return hidden, "", notice(NOTHING_SAVED)
        try:
            title = self.store(request).load(conversation_id).title
        except CitewiseError as exc:
            return hidden, "", notice(str(exc), "cw-hint cw-bad")
        question = f"Delete “{title}” and its answers? This cannot be undone."
        return gr.update(visible=True), notice(question, "cw-confirm-text"), ""

    def delete(
        self, conversation_id: str | None, show_scores: bool, request: gr.Request
    ) -> tuple[Any, ...]:
        """The new-conversation view, the confirmation hidden, and a notice."""
        if conversation_id:
            self.store(request).delete(conversation_id)
        return (
            *self.view(None, show_scores, request),
            gr.update(visible=False),
            notice("Conversation deleted."),
        )
