"""The question as every search and answer sees it: cleaned once, by one rule."""

from __future__ import annotations

from ingest.errors import QueryError


def clean_question(question: object, max_chars: int) -> str:
    """The question trimmed, and cut at a word boundary if longer than ``max_chars``.

    Raises QueryError for anything that is not text or is empty once trimmed."""
    if not isinstance(question, str):
        raise QueryError(f"A question must be text, not {type(question).__name__}")
    text = question.replace("\x00", " ").strip()
    if not text:
        raise QueryError("The question is empty", "type a question about your documents")
    if len(text) > max_chars:
        cut = text[:max_chars]
        space = cut.rfind(" ", max_chars // 2)
        text = cut[:space] if space > 0 else cut
    return text
