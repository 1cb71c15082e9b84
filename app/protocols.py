"""The seams of the app: what the chat, the CLI and the evals need of an answer engine, and
what the engine needs of the models it reads with.

``AnswerEngine`` and ``app.composition.Models`` are the implementations; ``Answerer`` (one
answer backend) lives with the answer types in ``app.answer``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from app.answer import Answer, Answerer, Backend

if TYPE_CHECKING:
    from app.gate.text_kind import TextKindModel
    from app.reader.runtime import Reader

__all__ = ["Answerer", "Engine", "ReaderModels"]


class ReaderModels(Protocol):
    """The reader and the text-kind model, each loaded on first use and then kept."""

    def reader(self) -> Reader: ...

    def text_kind(self) -> TextKindModel: ...


class Engine(Protocol):
    """Answers questions about the index, citing its passages."""

    def backends(self) -> list[Backend]: ...

    def answer(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        backend: str | None = None,
        top_k: int | None = None,
        scope: Sequence[str] = (),
    ) -> Answer: ...

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        backend: str | None = None,
        top_k: int | None = None,
        scope: Sequence[str] = (),
    ) -> Iterator[Answer]: ...
