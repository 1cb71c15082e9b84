"""The web chat in a real browser: streamed answers, clickable citations, markup never runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ANSWER_TIMEOUT_MS = 120_000
ANSWERED = ".cw-answer:not(.cw-pending):not(.cw-error)"
WATCH_PENDING = """() => {
    window.__sawPending = false;
    new MutationObserver(() => {
        if (document.querySelector('.cw-pending')) window.__sawPending = true;
    }).observe(document.body, {childList: true, subtree: true});
}"""


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter and wait for its finished answer bubble."""
    before = page.locator(ANSWERED).count()
    page.fill("#cw-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"""() => document.querySelectorAll('{ANSWERED}').length > {before}
              && !document.querySelector('.cw-pending')
              && ![...document.querySelectorAll('.cw-meta')]
                   .some(m => m.textContent.includes('writing'))""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    return page.locator(ANSWERED).nth(before)


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
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0


def test_an_abstention_looks_different_and_shows_the_closest_passages(page: Any) -> None:
    answer = ask(page, "What is the recipe for a chocolate soufflé?")
    assert "cw-abstain" in (answer.get_attribute("class") or "")
    assert page.locator(".cw-set.cw-active.cw-set-abstain .cw-source").count() >= 1


def test_all_retrieved_passages_can_be_shown_with_their_scores(page: Any) -> None:
    ask(page, "When was ElyT-MaX created?")
    page.get_by_text("Answer settings").click()
    page.get_by_label("Show all retrieved passages with their scores").check()
    table = page.locator(".cw-set.cw-active .cw-scores")
    table.wait_for()
    assert table.locator("th").all_inner_texts() == ["#", "Passage", "Fused", "Dense", "Lexical"]
    assert table.locator("tbody tr").count() >= 1
