"""Saved conversations and scoped questions in a real browser: kept across a reload, renamed,
exported, deleted after a confirmation, private to each login; scope limits what is searched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chat_page import (
    ARTIFACTS,
    STEP_TIMEOUT_MS,
    USERS,
    ask,
    conversation_titles,
    open_page,
    wait_for_title,
)

pytestmark = pytest.mark.slow
FIRST = "Which international laboratory is based in Sendai?"
FOLLOW_UP = "When was it created?"


def test_a_conversation_is_kept_as_it_grows_and_comes_back_after_a_reload(page: Any) -> None:
    ask(page, FIRST)
    wait_for_title(page, FIRST)
    second = ask(page, FOLLOW_UP)
    assert "2016" in second.inner_text()
    selected = page.locator("#cw-conversations input:checked")
    assert selected.count() == 1

    page.reload()
    page.wait_for_selector("#cw-question textarea")
    page.locator(".cw-answer").nth(1).wait_for()
    assert [q.strip() for q in page.locator(".cw-question").all_inner_texts()] == [FIRST, FOLLOW_UP]
    assert "2016" in page.locator(".cw-answer").nth(1).inner_text()
    assert page.locator(".cw-set").count() == 2
    page.locator(".cw-answer").nth(1).locator(".cw-cite").first.click()
    assert "2016" in page.locator(".cw-set.cw-active .cw-focus mark").inner_text()
    assert FIRST in conversation_titles(page)

    follow_up = ask(page, "Which university is it run with?")
    assert "Tohoku" in follow_up.inner_text()
    assert page.locator(".cw-answer").count() == 3


def test_a_saved_conversation_is_reopened_from_the_list(
    page: Any, context: Any, chat_url: str
) -> None:
    ask(page, "What does the ERC unit set up in 2014 do?")
    wait_for_title(page, "What does the ERC unit set up in 2014 do?")
    other = open_page(context, chat_url)
    other.get_by_role("button", name="New conversation").click()
    other.locator("#cw-conversations label", has_text="ERC unit set up in 2014").first.click()
    other.locator(".cw-answer").first.wait_for()
    assert (
        other.locator(".cw-question").first.inner_text()
        == "What does the ERC unit set up in 2014 do?"
    )
    assert other.locator(".cw-set.cw-active .cw-source").count() >= 1
    other.locator(".cw-cite").first.click()
    other.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    other.screenshot(path=str(ARTIFACTS / "chat-conversations.png"))


def test_a_conversation_is_renamed_exported_as_markdown_and_deleted_after_asking(
    page: Any, chat_store: Path
) -> None:
    page.get_by_role("button", name="Delete conversation").click()
    page.locator("#cw-sidebar-notice", has_text="No saved conversation is open").wait_for()
    assert not page.locator("#cw-delete-confirm").is_visible()

    answer = ask(page, "When was ElyT-MaX created?")
    wait_for_title(page, "When was ElyT-MaX created?")
    quote = answer.locator(".cw-cite").first
    quote.click()
    quoted = page.locator(".cw-set.cw-active .cw-focus mark").inner_text()

    page.fill("#cw-title-box textarea, #cw-title-box input", "ElyT-MaX founding date")
    page.get_by_role("button", name="Rename").click()
    wait_for_title(page, "ElyT-MaX founding date")

    with page.expect_download() as download:
        page.locator("#cw-export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "elyt-max-founding-date.md"
    assert exported.startswith("# ElyT-MaX founding date")
    assert "## When was ElyT-MaX created?" in exported
    assert "[1] The international strategy of the CNRS engineering institute" in exported
    assert f"> {quoted}" in exported

    page.get_by_role("button", name="Delete conversation").click()
    confirm = page.locator("#cw-delete-confirm")
    assert "Delete “ElyT-MaX founding date”" in confirm.inner_text()
    confirm.get_by_role("button", name="Cancel").click()
    confirm.wait_for(state="hidden")
    assert "ElyT-MaX founding date" in conversation_titles(page)

    page.get_by_role("button", name="Delete conversation").click()
    confirm.get_by_role("button", name="Yes, delete").click()
    page.get_by_text("Conversation deleted.").wait_for()
    assert "ElyT-MaX founding date" not in conversation_titles(page)
    assert page.locator(".cw-answer").count() == 0
    saved = [json.loads(p.read_text()) for p in (chat_store / "conversations").rglob("*.json")]
    assert "ElyT-MaX founding date" not in [s["title"] for s in saved]


def test_a_scoped_question_cannot_see_the_other_documents(page: Any) -> None:
    scope = page.locator("#cw-scope input")
    scope.click()
    page.locator("[data-testid=dropdown-option]", has_text="(orion-notes.txt)").click()
    page.keyboard.press("Escape")
    answer = ask(page, "When was ElyT-MaX created?")
    assert "2016" not in answer.inner_text()
    assert "orion-notes.txt" in answer.locator(".cw-meta").inner_text()
    docs = page.locator(".cw-set.cw-active .cw-doc").all_inner_texts()
    assert docs and set(docs) == {"orion-notes.txt"}

    page.locator("#cw-scope .token-remove, #cw-scope [aria-label^='Remove']").first.click()
    unscoped = ask(page, "When was ElyT-MaX created?")
    assert "2016" in unscoped.inner_text()
    assert "searched only" not in unscoped.locator(".cw-meta").inner_text()


def login(context: Any, url: str, user: str) -> Any:
    context.set_default_timeout(STEP_TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(url)
    tab.get_by_label("username").fill(user)
    tab.get_by_label("password").fill(USERS[user])
    tab.get_by_role("button", name="Login").click()
    tab.wait_for_selector("#cw-question textarea")
    return tab


def test_with_logins_each_user_sees_only_their_own_conversations(
    browser: Any, auth_chat_url: str
) -> None:
    alice_profile = browser.new_context()
    bob_profile = browser.new_context()
    try:
        alice = login(alice_profile, auth_chat_url, "alice")
        ask(alice, "When was ElyT-MaX created?")
        wait_for_title(alice, "When was ElyT-MaX created?")

        bob = login(bob_profile, auth_chat_url, "bob")
        bob.wait_for_timeout(1000)
        assert conversation_titles(bob) == []
        ask(bob, "What does the ERC unit set up in 2014 do?")
        wait_for_title(bob, "What does the ERC unit set up in 2014 do?")
        assert conversation_titles(bob) == ["What does the ERC unit set up in 2014 do?"]

        alice.reload()
        alice.wait_for_selector("#cw-question textarea")
        wait_for_title(alice, "When was ElyT-MaX created?")
        assert conversation_titles(alice) == ["When was ElyT-MaX created?"]
    finally:
        alice_profile.close()
        bob_profile.close()


def test_at_phone_width_the_list_starts_folded_and_opens_on_demand(
    browser: Any, chat_url: str
) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    phone.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        page = open_page(phone, chat_url)
        sidebar = page.locator("#cw-sidebar")
        page.wait_for_function(
            "() => !document.querySelector('#cw-sidebar').classList.contains('open')"
        )
        assert page.locator("#cw-question textarea").is_visible()
        sidebar.locator(".toggle-button").click()
        page.get_by_role("button", name="New conversation").wait_for()
        assert page.get_by_role("button", name="New conversation").is_visible()
    finally:
        phone.close()
