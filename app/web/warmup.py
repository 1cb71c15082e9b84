"""Loading the models in the background when the chat starts, so the first answer is fast.

The embedding model and the reader take seconds to load on first use; loading them in a thread
at start lets the page open at once, shows a "loading" line while they load, and spares the
first question the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.web.render import text

if TYPE_CHECKING:
    from app.composition import Components


def load_models(parts: Components) -> Callable[[], None]:
    """What the first answer would load: the question embedder and the reader with its
    tokenizer and text-kind model."""

    def load() -> None:
        parts.embedder.embed_query("warm up")
        parts.models.reader()
        parts.models.text_kind()

    return load


class Warmup:
    """Runs ``load`` once in a daemon thread and says how it went."""

    def __init__(self, load: Callable[[], object]) -> None:
        self._load = load
        self._done = threading.Event()
        self.error: str | None = None
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="citewise-warmup", daemon=True)

    def start(self) -> Warmup:
        self._thread.start()
        return self

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self._load()
        except Exception as exc:  # shown on the page; the first question reports it again
            self.error = str(exc)
        self.seconds = time.perf_counter() - started
        self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def status_html(self) -> str:
        """The line under the question box: loading, loaded, or what failed."""
        if not self.ready:
            return (
                '<div class="cw-status cw-loading" role="status"><span class="cw-spinner">'
                "</span>Loading the reader model&#8230; you can type now; the first answer "
                "waits for it.</div>"
            )
        if self.error:
            return f'<div class="cw-status cw-bad" role="status">{text(self.error)}</div>'
        return (
            f'<div class="cw-status cw-ready" role="status">Reader model ready '
            f"(loaded in {self.seconds or 0:.1f} s).</div>"
        )
