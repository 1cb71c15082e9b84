"""``citewise ask --history FILE``: read the conversation so far and append the new answer.

The file is a saved conversation (the web chat's format, see ``app.conversation``) or a bare
list of ``{"role", "content"}`` messages; it is appended to in the form it has, and created as
a conversation when missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.answer import Answer
from app.conversation import Conversation, Turn, new_id, write_json
from app.errors import HistoryError


@dataclass
class HistoryFile:
    """A history file as read: a conversation, or (hand-written) plain messages."""

    path: Path
    conversation: Conversation | None
    plain: list[dict[str, str]] | None = None

    def messages(self) -> list[dict[str, str]]:
        if self.conversation is not None:
            return self.conversation.messages()
        return list(self.plain or [])

    def append(self, answer: Answer) -> None:
        """Add the question and its answer to the file, in the file's own form."""
        if self.conversation is not None:
            self.conversation.add(Turn(new_id()[:10], answer))
            data: object = self.conversation.to_json()
        else:
            self.plain = [
                *(self.plain or []),
                {"role": "user", "content": answer.question},
                {"role": "assistant", "content": answer.text},
            ]
            data = self.plain
        try:
            write_json(self.path, data)
        except OSError as exc:
            raise HistoryError(
                f"Cannot write history file {self.path}: {exc.strerror or exc}",
                "check that its folder exists and is writable",
            ) from None


def read_history_file(path: Path) -> HistoryFile:
    """The history in ``path`` (a new empty conversation if it does not exist yet), or a
    HistoryError naming the file and the problem."""
    from app.followup import validate_history

    if not path.exists():
        return HistoryFile(path, Conversation())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HistoryError(f"Cannot read history file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise HistoryError(f"History file {path} is not valid JSON: {exc}") from None
    try:
        if isinstance(data, dict):
            return HistoryFile(path, Conversation.from_json(data))
        return HistoryFile(path, None, validate_history(data))
    except HistoryError as exc:
        raise HistoryError(f"History file {path}: {exc.message}", exc.hint) from None
