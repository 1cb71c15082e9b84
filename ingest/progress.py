"""Terminal progress bars for ingestion, driven by the ``progress(stage, done, total)`` callback."""

from __future__ import annotations

import sys
from typing import Any

LABELS = {"files": "files", "embed": "chunks embedded"}


class TerminalProgress:
    """One tqdm bar per stage, shown only on a terminal; a no-op elsewhere."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        bar = self._bars.get(stage)
        if bar is None or bar.total != total:
            from tqdm import tqdm

            if bar is not None:
                bar.close()
            bar = tqdm(total=total, desc=LABELS.get(stage, stage), unit="", leave=False)
            self._bars[stage] = bar
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
