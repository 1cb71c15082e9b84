"""Paged reads of Chroma collections: Chroma fails on reads of tens of thousands of records at
once, so every read that can return many records goes through :func:`pages`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

READ_PAGE = 2000
"""Records per read."""
DOCUMENTS_PER_FETCH = 100
"""Documents whose chunks are fetched in one read (a ``$in`` filter of their ids)."""


def pages(
    collection: Any, include: list[str], where: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of ``collection`` (matching ``where``), READ_PAGE records per read."""
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=READ_PAGE, offset=offset)
        if got["ids"]:
            yield got
        if len(got["ids"]) < READ_PAGE:
            return
        offset += len(got["ids"])


def where_in(field: str, values: Sequence[str]) -> dict[str, Any]:
    """A Chroma filter matching records whose ``field`` is one of ``values`` (not empty)."""
    return {field: values[0]} if len(values) == 1 else {field: {"$in": list(values)}}
