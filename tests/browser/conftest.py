"""A real ``citewise chat`` server and a headless Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_page import STEP_TIMEOUT_MS, USERS, open_page
from local_server import free_port, serving

from app.composition import Models

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_DOC = (
    "Orion bench notes\n\n"
    'The Orion bench access code is <img src=x onerror="window.__xss=1"> and its launcher '
    "is <script>window.__xss=2</script> according to the lab manager.\n"
)


def _serve_chat(store_dir: Path, work: Path, *options: str) -> Iterator[str]:
    """``citewise chat`` on ``store_dir`` (with the repository's example questions)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_")}
    command = [sys.executable, "-c", "from app.cli import main; main()"]
    url = f"http://127.0.0.1:{port}/"
    with serving(
        "citewise chat",
        [*command, "chat", "--store", str(store_dir), "--port", str(port), *options],
        url,
        work / "chat.log",
        timeout_s=120,
        cwd=ROOT,
        env=env,
    ):
        yield url


@pytest.fixture(scope="session")
def chat_store(
    insis_store_dir: Path, tmp_path_factory: pytest.TempPathFactory, models: Models
) -> Path:
    """A copy of the INSIS index plus a document full of markup (``orion-notes.txt``)."""
    import shutil

    from ingest.settings import Settings
    from ingest.sync import sync_paths

    work = tmp_path_factory.mktemp("browser")
    store_dir = work / "store"
    shutil.copytree(insis_store_dir, store_dir)
    hostile = work / "docs" / "orion-notes.txt"
    hostile.parent.mkdir()
    hostile.write_text(HOSTILE_DOC)
    settings = Settings(store_dir=store_dir)
    report = sync_paths([hostile], settings, embedder=models.embedder(settings), prune=False)
    assert report.added == 1, report.summary()
    return store_dir


@pytest.fixture(scope="session")
def chat_url(chat_store: Path) -> Iterator[str]:
    """``citewise chat`` without a login, on ``chat_store``."""
    yield from _serve_chat(chat_store, chat_store.parent)


@pytest.fixture(scope="session")
def auth_chat_url(insis_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``citewise chat`` with two logins (``USERS``) on its own copy of the INSIS index."""
    import shutil

    work = tmp_path_factory.mktemp("browser-auth")
    shutil.copytree(insis_store_dir, work / "store")
    logins = ",".join(f"{user}:{password}" for user, password in USERS.items())
    yield from _serve_chat(work / "store", work, "--auth", logins)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run 'make browser'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: object) -> Iterator[object]:
    """A fresh browser profile (its own local storage and downloads)."""
    profile = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    profile.set_default_timeout(STEP_TIMEOUT_MS)
    yield profile
    profile.close()


@pytest.fixture
def page(context: object, chat_url: str) -> object:
    return open_page(context, chat_url)
