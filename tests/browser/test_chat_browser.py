"""The web chat in a real browser: streamed answers, clickable citations, markup never runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from chat_page import ANSWERED, ARTIFACTS, ask, wait_for_answer, wait_for_title

pytestmark = pytest.mark.slow
WATCH_PENDING = """() => {
    window.__sawPending = false;
    new MutationObserver(() => {
        if (document.querySelector('.cw-pending')) window.__sawPending = true;
    }).observe(document.body, {childList: true, subtree: true});
}"""


def test_a_streamed_answer_links_each_citation_to_its_highlighted_passage(page: Any) -> None:
    page.evaluate(WATCH_PENDING)
    first = ask(page, "When was ElyT-MaX created?")
    assert page.evaluate("window.__sawPending")
    assert "2016" in first.inner_text()

    first.locator(".cw-cite").first.click()
    focused = page.locator(".cw-set.cw-active .cw-source.cw-focus")
    assert focused.locator("mark").inner_text() == "ElyT-MaX was created on January 1, 2016."
    assert "The international strategy of the CNRS" in focused.locator(".cw-title").inner_text()
    assert "ElyT-MaX" in focused.locator(".cw-where").inner_text()

    second = ask(page, "Which four countries does the INSIS want to develop collaborations with?")
    assert "Australia" in second.inner_text()
    active = page.locator(".cw-set.cw-active")
    assert "Australia" in active.locator("mark").first.inner_text()

    first.locator(".cw-cite").first.click()
    assert page.locator(".cw-set").count() == 2
    assert "2016" in page.locator(".cw-set.cw-active .cw-focus mark").inner_text()

    second.locator(".cw-cite").first.click()
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))


def test_markup_in_documents_and_questions_is_shown_and_never_runs(page: Any) -> None:
    answer = ask(page, "What is the Orion bench access code?")
    assert page.evaluate("typeof window.__xss") == "undefined"
    answer.locator(".cw-cite").first.click()
    passage = page.locator(".cw-set.cw-active .cw-focus .cw-passage").inner_text()
    assert '<img src=x onerror="window.__xss=1">' in passage
    assert "<script>window.__xss=2</script>" in passage

    ask(page, 'Is <img src=x onerror="window.__xss=3"> the code? <script>window.__xss=4</script>')
    question = page.locator(".cw-question").last.inner_text()
    assert '<img src=x onerror="window.__xss=3">' in question
    assert "<script>window.__xss=4</script>" in question
    wait_for_title(page, "What is the Orion bench access code?")
    page.locator("#cw-conversations label").first.wait_for()
    page.fill("#cw-title-box input, #cw-title-box textarea", '<img src=x onerror="window.__xss=5">')
    page.get_by_role("button", name="Rename").click()
    wait_for_title(page, '<img src=x onerror="window.__xss=5">')
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0


def test_an_abstention_looks_different_and_shows_the_closest_passages(page: Any) -> None:
    answer = ask(page, "What is the recipe for a chocolate soufflé?")
    assert "cw-abstain" in (answer.get_attribute("class") or "")
    assert page.locator(".cw-set.cw-active.cw-set-abstain .cw-source").count() >= 1


def test_all_retrieved_passages_are_shown_by_fused_score_in_plain_text(page: Any) -> None:
    ask(page, "When was ElyT-MaX created?")
    page.get_by_text("Answer settings").click()
    page.get_by_label("Show all retrieved passages with their scores").check()
    table = page.locator(".cw-set.cw-active .cw-scores")
    table.wait_for()
    assert table.locator("th").all_inner_texts() == ["#", "Passage", "Fused", "Dense", "Lexical"]
    caption = table.locator("caption").inner_text()
    assert "reciprocal-rank fusion" in caption and "cosine" in caption and "BM25" in caption
    fused = [float(v) for v in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert len(fused) >= 2 and fused == sorted(fused, reverse=True)
    for column in (3, 4, 5):
        shown = [v for v in table.locator(f"tbody td:nth-child({column})").all_inner_texts()]
        decimals = {len(v.partition(".")[2]) for v in shown if v != "—"}
        assert len(decimals) == 1, f"column {column} mixes formats: {shown}"
    dense = [float(v) for v in table.locator("tbody td:nth-child(4)").all_inner_texts() if v != "—"]
    assert all(-1 <= d <= 1 for d in dense)
    previews = table.locator(".cw-snippet").all_inner_texts()
    assert previews and not any(re.search(r"(^|\s)#{1,6}\s|\*\*", p) for p in previews)


def test_example_chips_are_whole_and_send_their_question(page: Any) -> None:
    chips = page.locator(".cw-chip")
    assert chips.count() == 4
    for i in range(chips.count()):
        chip = chips.nth(i)
        assert chip.evaluate(
            "e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight"
        )
        assert "…" not in chip.inner_text() and chip.inner_text().strip().endswith("?")
    chips.filter(has_text="When was ElyT-MaX created?").click()
    answer = wait_for_answer(page, 0)
    assert "2016" in answer.inner_text()
    assert page.locator(".cw-question").first.inner_text() == "When was ElyT-MaX created?"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-chips.png"))


def test_an_empty_question_gets_a_short_message(page: Any) -> None:
    page.fill("#cw-question textarea", "   ")
    page.keyboard.press("Enter")
    page.get_by_text("Type a question first").wait_for()
    assert page.locator(ANSWERED).count() == 0


def test_the_backend_menu_names_the_llm_option_and_how_to_enable_it(page: Any) -> None:
    page.get_by_text("Answer settings").click()
    menu = page.locator("#cw-backend")
    assert "To enable llm: set llm_base_url" in menu.inner_text()
    menu.locator("input").click()
    options = page.locator("[data-testid=dropdown-option]").all_inner_texts()
    assert any("extractive" in o for o in options)
    assert any("llm: not configured" in o for o in options)


def test_the_reader_loads_in_the_background_and_says_when_it_is_ready(page: Any) -> None:
    status = page.locator("#cw-status")
    page.wait_for_function(
        "() => document.querySelector('#cw-status').textContent.includes('ready')",
        timeout=120_000,
    )
    assert re.search(r"Reader model ready \(loaded in \d+\.\d s\)", status.inner_text())


def test_the_terminal_names_the_address_and_gives_no_share_hint(
    page: Any, chat_store: Path, chat_url: str
) -> None:
    log = (chat_store.parent / "chat.log").read_text()
    assert f"citewise chat on {chat_url.rstrip('/')}" in log
    assert "share=True" not in log and "public link" not in log


def test_removing_a_document_asks_first(page: Any, tmp_path: Path) -> None:
    upload = tmp_path / "kestrel-notes.md"
    upload.write_text("# Kestrel notes\n\nThe Kestrel rig was assembled in 2011 in Lille.\n")
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#cw-upload input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Add to index").click()
    page.locator(".cw-results", has_text="kestrel-notes.md").wait_for(timeout=120_000)

    pick = page.get_by_label("Document to remove")
    pick.fill("kestrel-notes.md")
    pick.press("Enter")
    page.get_by_role("button", name="Remove from index").click()
    confirm = page.locator("#cw-remove-confirm")
    confirm.wait_for()
    assert "Remove kestrel-notes.md from the index?" in confirm.inner_text()
    confirm.get_by_role("button", name="Cancel").click()
    confirm.wait_for(state="hidden")
    assert "kestrel-notes.md" in page.locator("#cw-documents").inner_text()

    page.get_by_role("button", name="Remove from index").click()
    confirm.get_by_role("button", name="Yes, remove").click()
    page.locator(".cw-results", has_text="removed").wait_for()
    page.wait_for_function(
        "() => !document.querySelector('#cw-documents').innerText.includes('kestrel-notes.md')"
    )
