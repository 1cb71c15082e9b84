"""What a person does on the chat page, as Playwright steps shared by the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ANSWER_TIMEOUT_MS = 120_000
STEP_TIMEOUT_MS = 90_000
"""How long a page step may take: on a busy 2-core machine a page can take a minute to load."""
ANSWERED = ".cw-answer:not(.cw-pending):not(.cw-error)"
USERS = {"alice": "wonder-land", "bob": "builder-7"}
"""The logins of the chat served with ``auth``."""


def wait_for_answer(page: Any, before: int) -> Any:
    """Wait until answer number ``before`` + 1 is finished (not pending, not writing)."""
    page.wait_for_function(
        f"""() => document.querySelectorAll('{ANSWERED}').length > {before}
              && !document.querySelector('.cw-pending')
              && ![...document.querySelectorAll('.cw-meta')]
                   .some(m => m.textContent.includes('writing'))""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    return page.locator(ANSWERED).nth(before)


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter and wait for its finished answer bubble."""
    before = page.locator(ANSWERED).count()
    page.fill("#cw-question textarea", question)
    page.keyboard.press("Enter")
    return wait_for_answer(page, before)


def conversation_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#cw-conversations label").all_inner_texts()]


def wait_for_title(page: Any, title: str) -> None:
    """Wait until the sidebar lists a conversation called ``title``."""
    page.locator("#cw-conversations label", has_text=title).first.wait_for()


def open_page(context: Any, url: str) -> Any:
    tab = context.new_page()
    tab.goto(url)
    tab.wait_for_selector("#cw-question textarea")
    return tab
