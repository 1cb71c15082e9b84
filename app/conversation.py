"""A conversation as it is kept: its answers with their citations and passages, as JSON.

The web chat saves each conversation in this form as it grows and reopens it with its sources;
``citewise ask --history FILE`` reads and appends the same form, so a conversation can move
between the two. A hand-written history, a bare list of ``{"role", "content"}`` messages, is
read as well, and appended to in its own form.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.answer import Answer, Backend, Citation
from app.errors import HistoryError
from retriever.passage import Passage

FORMAT = "citewise-conversation"
VERSION = 1
TITLE_CHARS = 80
ID_PATTERN = re.compile(r"^[0-9a-f]{12}$")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Turn:
    """One answered question of a conversation, with the id its HTML is tagged with."""

    aid: str
    answer: Answer


@dataclass
class Conversation:
    """The questions and answers of one chat, in order, and the title it is listed under."""

    id: str = field(default_factory=new_id)
    title: str = ""
    created_at: str = field(default_factory=now)
    updated_at: str = ""
    turns: list[Turn] = field(default_factory=list)

    def add(self, turn: Turn) -> None:
        """Append an answered question; the first question becomes the title if none is set."""
        self.turns.append(turn)
        if not self.title:
            self.title = title_of(turn.answer.question)
        self.updated_at = now()

    def messages(self) -> list[dict[str, str]]:
        """The conversation as plain messages, the form follow-up questions are resolved from."""
        return messages_of(self.turns)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "turns": [{"id": t.aid, **answer_record(t.answer)} for t in self.turns],
        }

    @classmethod
    def from_json(cls, data: Any) -> Conversation:
        """The conversation in ``data``, or a HistoryError saying what is missing."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise HistoryError(
                f'A history is a saved conversation (a JSON object with "format": "{FORMAT}") '
                'or a list of {"role", "content"} messages'
            )
        if data.get("version") != VERSION:
            raise HistoryError(
                f"Conversation format version {data.get('version')!r} is not supported",
                f"this citewise reads version {VERSION}",
            )
        try:
            turns = [Turn(str(t["id"]), answer_from_record(t)) for t in data["turns"]]
            return cls(
                id=str(data["id"]),
                title=str(data.get("title") or ""),
                created_at=str(data.get("created_at") or now()),
                updated_at=str(data.get("updated_at") or ""),
                turns=turns,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise HistoryError(
                f"A conversation turn is incomplete: {exc!r} is missing or wrong"
            ) from None


def messages_of(turns: list[Turn]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": turn.answer.question})
        messages.append({"role": "assistant", "content": turn.answer.text})
    return messages


def title_of(question: str) -> str:
    """A one-line title from a question, cut at a word boundary."""
    title = " ".join(question.split())
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[:TITLE_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def passage_record(p: Passage) -> dict[str, Any]:
    return {
        "doc_id": p.doc_id,
        "title": p.title,
        "source": p.source,
        "text": p.text,
        "start": p.start,
        "end": p.end,
        "heading_path": list(p.heading_path),
        "page": p.page,
        "fused_score": p.fused_score,
        "dense_score": p.dense_score,
        "lexical_score": p.lexical_score,
    }


def passage_from_record(r: dict[str, Any]) -> Passage:
    return Passage(
        doc_id=str(r["doc_id"]),
        title=str(r.get("title") or ""),
        source=str(r.get("source") or ""),
        text=str(r["text"]),
        start=int(r.get("start") or 0),
        end=int(r.get("end") or 0),
        heading_path=tuple(str(h) for h in r.get("heading_path") or ()),
        page=r.get("page"),
        fused_score=float(r.get("fused_score") or 0.0),
        dense_score=r.get("dense_score"),
        lexical_score=r.get("lexical_score"),
    )


def answer_record(answer: Answer) -> dict[str, Any]:
    """The answer's JSON (as ``ask --json`` prints it) with each citation's whole passage and
    every retrieved passage, so that a reopened answer shows the same sources."""
    record = answer.to_json()
    record["citations"] = [
        {"n": c.n, "quote": c.quote, "answer_span": c.answer_span,
         "passage": passage_record(c.passage)}
        for c in answer.citations
    ]  # fmt: skip
    record["passages"] = [passage_record(p) for p in answer.passages]
    return record


def answer_from_record(r: dict[str, Any]) -> Answer:
    citations = [
        Citation(int(c["n"]), passage_from_record(c["passage"]), str(c["quote"]),
                 c.get("answer_span"))
        for c in r.get("citations") or []
    ]  # fmt: skip
    searched = r.get("searched_documents")
    return Answer(
        question=str(r["question"]),
        text=str(r["answer"]),
        citations=citations,
        abstained=bool(r.get("abstained")),
        backend=Backend(r.get("backend") or Backend.EXTRACTIVE),
        short_answer=r.get("short_answer"),
        passages=[passage_from_record(p) for p in r.get("passages") or []],
        answerability=float(r.get("answerability") or 0.0),
        note=r.get("note"),
        search_query=str(r.get("search_query") or ""),
        timings_ms=dict(r.get("timings_ms") or {}),
        searched_documents=None if searched is None else [str(d) for d in searched],
    )


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
