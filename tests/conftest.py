"""Shared fixtures: settings pointing at temporary folders, a ready INSIS index, a Chroma server,
and the models loaded once per test session (``models``) for the components each test builds
(``parts_for``)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_server import free_port, serving
from parts import PartsFor
from paths import CHROMA, CORPUS, MODEL_CACHE

from app.composition import Components, Models
from ingest.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CITEWISE_* variable of the developer leaks into a test, and nothing is cached in
    the developer's cache folder (a Chroma server's lexical index lives there)."""
    for name in list(os.environ):
        if name.startswith("CITEWISE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CITEWISE_MODEL_CACHE_DIR", str(MODEL_CACHE))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the index in a fresh temporary folder."""
    return load_settings(store_dir=tmp_path / "store")


@pytest.fixture(scope="session")
def models() -> Models:
    """The embedders and the reader, loaded once for the whole test session."""
    return Models(model_cache_dir=MODEL_CACHE)


@pytest.fixture
def parts_for(models: Models) -> Iterator[PartsFor]:
    """Components for given settings, sharing the session's models; closed after the test."""
    made: list[Components] = []

    def parts(settings: Settings) -> Components:
        made.append(Components(settings, models=models))
        return made[-1]

    yield parts
    for built in made:
        built.close()


@pytest.fixture(scope="session")
def insis_store_dir(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Path:
    """An index of corpus/ built once per test session. Copy it before writing to it."""
    from ingest.sync import sync_paths

    store_dir = tmp_path_factory.mktemp("insis") / "store"
    settings = Settings(store_dir=store_dir)
    report = sync_paths([CORPUS], settings, embedder=models.embedder(settings))
    assert not report.failed and report.added >= 1, report.summary()
    return store_dir


@pytest.fixture
def insis_settings(insis_store_dir: Path) -> Settings:
    """Settings reading the shared INSIS index (read-only: do not ingest into it)."""
    return load_settings(store_dir=insis_store_dir)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real ``chroma run`` server on loopback with its data in tmp_path; yields its URL."""
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.fail(f"chroma executable not found next to {sys.executable}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(CHROMA if CHROMA.exists() else "chroma"),
        *("run", "--path", str(tmp_path / "chroma")),
        *("--host", "127.0.0.1", "--port", str(port)),
    ]
    with serving(
        "chroma server", command, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log", timeout_s=60
    ):
        yield url
