"""The composition root: parts built once, on demand, and shared — one store for the chat, the
engine and the corpus tab; models loaded once for several indexes; nothing left running."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.composition import Components, Models
from ingest.errors import StoreError
from ingest.settings import Settings, load_settings
from ingest.store import ChunkStore
from retriever.question import clean_question


def test_nothing_is_built_before_it_is_asked_for(settings: Settings) -> None:
    parts = Components(settings)
    assert not settings.store_dir.exists()
    built = [parts._store, parts._parser, parts._retriever, parts._calibration, parts._engine]
    assert built == [None] * 5


def test_the_engine_retriever_and_corpus_tab_share_one_store(
    insis_store_dir: Path, tmp_path: Path, models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.web import build_app
    from app.web.warmup import Warmup

    store_dir = tmp_path / "store"
    shutil.copytree(insis_store_dir, store_dir)
    opened: list[ChunkStore] = []
    real_open = ChunkStore.open.__func__  # type: ignore[attr-defined]

    def counting_open(cls: type[ChunkStore], settings: Settings) -> ChunkStore:
        opened.append(real_open(cls, settings))
        return opened[-1]

    monkeypatch.setattr(ChunkStore, "open", classmethod(counting_open))
    parts = Components(load_settings(store_dir=store_dir), models=models)
    app = build_app(parts, warmup=Warmup(lambda: None).start())
    try:
        assert opened == [parts.store]
        assert parts.engine.documents is parts.store
        assert parts.retriever.store is parts.store
        assert parts.engine.retriever is parts.retriever
    finally:
        app.close()
        parts.close()


def test_components_share_their_models_and_use_a_store_given_them(
    settings: Settings, tmp_path: Path, models: Models
) -> None:
    store = ChunkStore.open(settings)
    first = Components(settings, store=store, models=models)
    second = Components(load_settings(store_dir=tmp_path / "other"), models=models)
    assert first.store is store
    assert first.embedder is second.embedder
    assert first.models.text_kind() is second.models.text_kind()


def test_an_index_that_must_exist_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = load_settings(store_dir=tmp_path / "typo")
    with pytest.raises(StoreError):
        Components.existing(missing)
    assert not missing.store_dir.exists()


def test_closing_stops_the_parse_worker(settings: Settings, tmp_path: Path) -> None:
    from ingest.parse_worker import ParseJob

    parts = Components(settings)
    note = tmp_path / "note.txt"
    note.write_text("A note about lighthouses.\n")
    job = ParseJob(note, note.read_bytes(), "note.txt", str(note), 1200, 200, 200.0)
    assert parts.parser.run(job, 60.0).chunks
    child = parts.parser._process
    assert child is not None and child.is_alive()
    parts.close()
    assert not child.is_alive()


@pytest.mark.slow
def test_the_question_is_cleaned_once_by_the_retrievers_rule(
    insis_settings: Settings, models: Models
) -> None:
    settings = insis_settings.model_copy(update={"max_question_chars": 60})
    asked = "  When was ElyT-MaX created?\x00 " + "Tell me about the laboratory please. " * 3
    answer = Components(settings, models=models).engine.answer(asked)
    assert answer.question == clean_question(asked, 60)
    assert answer.question == "When was ElyT-MaX created?  Tell me about the laboratory"
