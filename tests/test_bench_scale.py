"""The scale benchmark's index builder: the layout ``citewise ingest`` writes, a build that
resumes where it stopped, and a mark that lets ``--keep`` measure a complete index again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.bench.scale import _complete, build
from ingest.settings import load_settings
from ingest.store import ChunkStore, NewVersion


def test_a_build_resumes_and_marks_the_index_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index" / "store"
    build(30, folder)
    assert _complete(30, folder) and not _complete(50, folder)

    written: list[str] = []
    put = ChunkStore.put

    def recording_put(self: ChunkStore, versions: Sequence[NewVersion]) -> None:
        written.extend(v.record.doc_id for v in versions)
        put(self, versions)

    monkeypatch.setattr(ChunkStore, "put", recording_put)
    build(50, folder)

    assert written == ["reports/report-0000003.txt", "reports/report-0000004.txt"]
    store = ChunkStore.open(load_settings(store_dir=folder))
    assert store.count() == 50 and len(store.documents()) == 5
    assert store.lexical.search("university", 5)
    assert _complete(50, folder)
