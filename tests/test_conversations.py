"""Saved conversations: their JSON form, the per-owner folders, the Markdown export, and the
scope of a question; without a model or a server."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app.answer import CANNOT_ANSWER, Answer, Backend, Citation
from app.conversation import Conversation, Turn, title_of
from app.conversation_markdown import conversation_markdown
from app.conversation_store import ConversationStore, owner_folder
from app.errors import HistoryError, ScopeError
from app.scope import describe, folder_prefixes, resolve_scope
from app.web.warmup import Warmup
from retriever.passage import Passage

BODY = "Intro sentence. ElyT-MaX was created on January 1, 2016. Closing sentence."
QUOTE = "ElyT-MaX was created on January 1, 2016."


def passage(doc_id: str = "reports/cnrs.md", fused: float = 0.03) -> Passage:
    return Passage(doc_id, "CNRS strategy", doc_id, BODY, 10, 10 + len(BODY),
                   ("CNRS strategy", "Labs"), 4, fused, 0.71, 12.5, ("c1",))  # fmt: skip


def answer(question: str = "When was ElyT-MaX created?") -> Answer:
    p, other = passage(), passage("notes/other.md", 0.01)
    cited = [Citation(1, p, QUOTE, "January 1, 2016")]
    return Answer(
        question, "It was created on January 1, 2016 [1].", cited, False, Backend.EXTRACTIVE,
        short_answer="January 1, 2016", passages=[p, other],
        answerability=0.93, search_query=question, timings_ms={"total": 12.0},
        searched_documents=["reports/cnrs.md", "notes/other.md"],
    )  # fmt: skip


def test_a_conversation_survives_its_json_form_with_every_source() -> None:
    conversation = Conversation()
    conversation.add(Turn("a1b2c3d4e5", answer()))
    refusal = Answer("Who?", CANNOT_ANSWER, [], True, Backend.EXTRACTIVE, passages=[passage()])
    conversation.add(Turn("f6a7b8c9d0", refusal))
    back = Conversation.from_json(json.loads(json.dumps(conversation.to_json())))
    assert back.title == "When was ElyT-MaX created?"
    first = back.turns[0].answer
    assert back.turns[0].aid == "a1b2c3d4e5"
    original = conversation.turns[0].answer
    assert first.citations[0].quote == QUOTE and first.citations[0].answer_span == "January 1, 2016"
    assert first.citations[0].passage.text == BODY and first.citations[0].passage.page == 4
    assert [p.fused_score for p in first.passages] == [p.fused_score for p in original.passages]
    assert first.searched_documents == ["reports/cnrs.md", "notes/other.md"]
    assert back.turns[1].answer.abstained and back.turns[1].answer.passages[0].text == BODY
    assert back.messages() == conversation.messages()


def test_a_file_that_is_not_a_conversation_is_refused_with_the_reason() -> None:
    with pytest.raises(HistoryError, match='object with "format": "citewise-conversation"'):
        Conversation.from_json({"turns": []})
    with pytest.raises(HistoryError, match="version 9 is not supported"):
        Conversation.from_json({"format": "citewise-conversation", "version": 9})
    with pytest.raises(HistoryError, match="incomplete"):
        Conversation.from_json({"format": "citewise-conversation", "version": 1, "id": "x",
                                "turns": [{"id": "a"}]})  # fmt: skip


def test_long_first_questions_make_one_line_titles() -> None:
    title = title_of("What   does\nthe " + "very " * 30 + "long question say?")
    assert len(title) <= 81 and title.endswith("…") and "\n" not in title


def test_each_owner_has_their_own_conversations(tmp_path: Path) -> None:
    alice, bob, local = (ConversationStore(tmp_path, u) for u in ("alice", "bob", None))
    mine = Conversation()
    mine.add(Turn("a1", answer()))
    alice.save(mine)
    assert [s.title for s in alice.list()] == ["When was ElyT-MaX created?"]
    assert bob.list() == [] and local.list() == []
    with pytest.raises(HistoryError, match="no longer exists"):
        bob.load(mine.id)
    assert (tmp_path / "conversations" / "user-alice" / f"{mine.id}.json").is_file()
    assert owner_folder("../../etc") != owner_folder("etc") and "/" not in owner_folder("../x")


def test_conversation_ids_cannot_name_other_files(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    for bad in ("../secrets", "x.json", "", "ABCDEF123456"):
        with pytest.raises(HistoryError, match="is not a conversation id"):
            store.load(bad)


def test_conversations_are_listed_newest_first_renamed_and_deleted(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    older, newer = Conversation(), Conversation()
    older.add(Turn("a1", answer("First?")))
    newer.add(Turn("b1", answer("Second?")))
    older.updated_at, newer.updated_at = "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"
    store.save(older)
    store.save(newer)
    (store.folder / "broken.json").write_text("{not json")
    assert [s.title for s in store.list()] == ["Second?", "First?"]

    store.rename(older.id, "  Renamed\n title ")
    assert [s.title for s in store.list()] == ["Renamed title", "Second?"]
    with pytest.raises(HistoryError, match="cannot be empty"):
        store.rename(older.id, "   ")
    assert store.delete(older.id) and not store.delete(older.id)
    assert [s.title for s in store.list()] == ["Second?"]


def test_the_markdown_export_has_each_answer_its_sources_and_quotes() -> None:
    conversation = Conversation(title="ElyT-MaX")
    conversation.add(Turn("a1", answer()))
    markdown = conversation_markdown(conversation)
    assert markdown.startswith("# ElyT-MaX\n")
    assert "## When was ElyT-MaX created?\n\nIt was created on January 1, 2016 [1]." in markdown
    assert "**Short answer:** January 1, 2016" in markdown
    assert "[1] CNRS strategy — Labs — page 4 (`reports/cnrs.md`)" in markdown
    assert f"> {QUOTE}" in markdown
    assert "*Searched only: reports/cnrs.md, notes/other.md*" in markdown


IDS = ["reports/2023.md", "reports/2024/q1.md", "notes.md", "reportsx.md"]


@pytest.mark.parametrize(
    ("entries", "picked"),
    [
        pytest.param(["notes.md"], ["notes.md"], id="document"),
        pytest.param(["reports/"], ["reports/2023.md", "reports/2024/q1.md"], id="folder"),
        pytest.param(["reports"], ["reports/2023.md", "reports/2024/q1.md"], id="folder-no-slash"),
        pytest.param(["reports/2024", "notes.md"], ["notes.md", "reports/2024/q1.md"], id="mixed"),
    ],
)
def test_a_scope_picks_documents_and_folders_of_ids(entries: list[str], picked: list[str]) -> None:
    assert resolve_scope(entries, IDS) == picked


def test_a_scope_that_picks_nothing_is_an_error_naming_it() -> None:
    with pytest.raises(ScopeError, match="No indexed document matches 'report'"):
        resolve_scope(["report"], IDS)


def test_folders_and_descriptions_of_a_scope() -> None:
    assert folder_prefixes(IDS) == ["reports/", "reports/2024/"]
    assert describe(["a"]) == "a" and describe(["a", "b"]) == "a and b"
    assert describe(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"


def test_the_page_says_loading_until_the_models_are_loaded() -> None:
    release = threading.Event()
    warmup = Warmup(lambda: release.wait(10)).start()
    assert not warmup.ready and "Loading the reader model" in warmup.status_html()
    release.set()
    assert warmup.wait(10)
    assert "Reader model ready" in warmup.status_html()


def test_a_model_that_fails_to_load_is_reported_on_the_page() -> None:
    def fail() -> None:
        raise RuntimeError("weights <missing>")

    warmup = Warmup(fail).start()
    assert warmup.wait(10)
    assert "weights &lt;missing&gt;" in warmup.status_html()
