"""The commit log of an index: its revision and its journal, and what a crash left to repair.

``<collection>-state`` holds the revision token, changed at every commit, and the journal: the
documents a write has begun and not finished. A document's record is its commit point:
chunks whose ``doc_hash`` differs from their record (or that have no record) are leftovers
of an interrupted run, and only journalled documents can have them. So after a crash,
repairing costs one read of the journal plus the journalled documents' chunks, whatever the
size of the index; with no interrupted run, one read.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.store.paging import pages

REVISION_ID = "revision"
PENDING_PREFIX = "pending:"


@dataclass(frozen=True)
class StoredChunk:
    """A chunk id with the metadata that ties it to its document version."""

    id: str
    doc_id: str
    doc_hash: str


@dataclass(frozen=True)
class Leftovers:
    """What an interrupted run left of its journalled documents."""

    stale: list[str]
    """Ids of chunks of no committed version: to delete."""
    counts: dict[str, int]
    """doc_id -> how many chunks of its committed version are stored."""


def leftovers(
    pending: Sequence[str], live: Mapping[str, str], stored: Iterable[StoredChunk]
) -> Leftovers:
    """Sorts the stored chunks of the ``pending`` documents into those of the committed
    version (``live``: doc_id -> content hash), counted, and the rest."""
    stale: list[str] = []
    counts = dict.fromkeys(pending, 0)
    for chunk in stored:
        if live.get(chunk.doc_id) == chunk.doc_hash:
            counts[chunk.doc_id] += 1
        else:
            stale.append(chunk.id)
    return Leftovers(stale, counts)


class CommitLog:
    """The revision and journal kept in an index's state collection ``state``."""

    def __init__(self, state: Any, batch: int) -> None:
        self._state = state
        self._batch = batch

    def token(self) -> str:
        """The revision token: changes at every commit. One small read."""
        got = self._state.get(ids=[REVISION_ID], include=["metadatas"])
        return str(got["metadatas"][0]["token"]) if got["ids"] else ""

    def bump(self) -> None:
        self._state.upsert(
            ids=[REVISION_ID],
            embeddings=[[1.0]],
            metadatas=[{"kind": "revision", "token": uuid.uuid4().hex}],
        )

    def journal(self, doc_ids: Sequence[str]) -> None:
        """Records that these documents are about to change."""
        host = socket.gethostname()
        for begin in range(0, len(doc_ids), self._batch):
            part = doc_ids[begin : begin + self._batch]
            self._state.upsert(
                ids=[PENDING_PREFIX + d for d in part],
                embeddings=[[1.0]] * len(part),
                metadatas=[{"kind": "pending", "doc_id": d, "host": host} for d in part],
            )

    def unjournal(self, doc_ids: Sequence[str]) -> None:
        for begin in range(0, len(doc_ids), self._batch):
            part = doc_ids[begin : begin + self._batch]
            self._state.delete(ids=[PENDING_PREFIX + d for d in part])

    def pending(self) -> list[str]:
        """Documents journalled on this machine: only a crashed run can have left them, if the
        caller holds the write lock. Other machines' entries are theirs to repair."""
        host = socket.gethostname()
        return sorted(
            m["doc_id"]
            for page in pages(self._state, ["metadatas"], {"kind": "pending"})
            for m in page["metadatas"]
            if m.get("host") == host
        )
