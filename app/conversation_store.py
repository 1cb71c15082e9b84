"""Saved conversations: one JSON file per conversation, in a folder per owner.

One file per conversation, rather than a SQLite table, because the file *is* the format
``citewise ask --history FILE`` reads and appends: a saved chat can be copied out and
continued in the terminal (and back), read with any JSON tool, and backed up or deleted one
by one. Each save rewrites one small file atomically, so a crash never leaves a half-written
conversation, and two browser tabs never write into each other's files.

Files live in ``<store_dir>/conversations/<owner>/<id>.json``; the owner is ``local`` when the
chat has no login, else ``user-<name>`` for the logged-in user, so with ``auth`` set each user
sees only their own conversations.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from app.conversation import ID_PATTERN, TITLE_CHARS, Conversation, now, write_json
from app.errors import HistoryError

FOLDER = "conversations"
LOCAL_OWNER = "local"
PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def owner_folder(username: str | None) -> str:
    """The folder name for a login: the name itself when it is plain, else its hash."""
    if not username:
        return LOCAL_OWNER
    if PLAIN_NAME.match(username) and username not in {".", ".."}:
        return f"user-{username}"
    return "user-" + hashlib.sha256(username.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Summary:
    """What the conversation list shows: id, title and when it last changed."""

    id: str
    title: str
    updated_at: str


class ConversationStore:
    """The conversations of one owner."""

    def __init__(self, store_dir: Path, username: str | None = None) -> None:
        self.folder = store_dir / FOLDER / owner_folder(username)

    def _path(self, conversation_id: str) -> Path:
        if not ID_PATTERN.match(conversation_id or ""):
            raise HistoryError(f"{conversation_id!r} is not a conversation id")
        return self.folder / f"{conversation_id}.json"

    def list(self) -> list[Summary]:
        """Every readable conversation, the most recently changed first."""
        found = []
        for path in self.folder.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(
                    Summary(str(data["id"]), str(data.get("title") or "Untitled"),
                            str(data.get("updated_at") or ""))
                )  # fmt: skip
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, key=lambda s: (s.updated_at, s.id), reverse=True)

    def load(self, conversation_id: str) -> Conversation:
        path = self._path(conversation_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HistoryError(
                "This conversation no longer exists", "it may have been deleted in another tab"
            ) from None
        except (OSError, ValueError) as exc:
            raise HistoryError(f"Conversation file {path} cannot be read: {exc}") from None
        return Conversation.from_json(data)

    def save(self, conversation: Conversation) -> None:
        write_json(self._path(conversation.id), conversation.to_json())

    def rename(self, conversation_id: str, title: str) -> Conversation:
        """Give a conversation a new title (one line, at most TITLE_CHARS characters)."""
        title = " ".join((title or "").split())[:TITLE_CHARS]
        if not title:
            raise HistoryError("A conversation title cannot be empty", "type a new title")
        conversation = self.load(conversation_id)
        conversation.title = title
        conversation.updated_at = now()
        self.save(conversation)
        return conversation

    def delete(self, conversation_id: str) -> bool:
        """Remove a conversation's file; False when there was none."""
        path = self._path(conversation_id)
        if not path.exists():
            return False
        path.unlink()
        return True
