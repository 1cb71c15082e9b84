"""Scoping questions to some documents: document ids, or folder prefixes of their ids.

A document's id is its path relative to the ingested folder (``reports/2023.md``), so a
folder prefix (``reports/`` or ``reports``) picks every document ingested from that folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.errors import ScopeError


def folder_prefixes(doc_ids: Iterable[str]) -> list[str]:
    """Every folder that holds documents, as ``folder/``, sorted."""
    folders: set[str] = set()
    for doc_id in doc_ids:
        parts = doc_id.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    return sorted(folders)


def matches(entry: str, doc_id: str) -> bool:
    """Whether ``entry`` (a document id or a folder prefix) picks ``doc_id``."""
    folder = entry.rstrip("/")
    return doc_id == entry or (bool(folder) and doc_id.startswith(folder + "/"))


def resolve_scope(entries: Sequence[str], doc_ids: Iterable[str]) -> list[str]:
    """The ids of the documents ``entries`` pick, sorted; a ScopeError names any entry that
    picks nothing, so a typo never silently searches nothing (or everything)."""
    known = sorted(set(doc_ids))
    wanted = [e.strip() for e in entries if e and e.strip()]
    picked: set[str] = set()
    for entry in wanted:
        found = {d for d in known if matches(entry, d)}
        if not found:
            raise ScopeError(
                f"No indexed document matches {entry!r}",
                "give a document id as 'citewise docs' lists it, or a folder prefix such as "
                "reports/",
            )
        picked |= found
    return sorted(picked)


def describe(doc_ids: Sequence[str], limit: int = 3) -> str:
    """``a.md, b.md and 2 more`` for a line saying what was searched."""
    shown = list(doc_ids[:limit])
    rest = len(doc_ids) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) > 1:
        return f"{', '.join(shown[:-1])} and {shown[-1]}"
    return shown[0] if shown else "no document"
