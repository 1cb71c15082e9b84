"""The web chat as API clients use it: a real app on a free port, driven with gradio_client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from local_server import free_port

from app.composition import Components, Models
from ingest.settings import Settings, load_settings

pytestmark = pytest.mark.slow
NEW_DOC = """# Zephyr facility notes

## Commissioning

The Zephyr wind tunnel was commissioned in 1987 in Toulouse. It tests small drone wings.
"""


@pytest.fixture(scope="module")
def web(
    insis_store_dir: Path, tmp_path_factory: pytest.TempPathFactory, models: Models
) -> Iterator[Settings]:
    """The chat served from a copy of the INSIS index, until the module's tests are done."""
    from app.web import build_app, launch_app

    store_dir = tmp_path_factory.mktemp("web") / "store"
    shutil.copytree(insis_store_dir, store_dir)
    settings = load_settings(store_dir=store_dir, port=free_port())
    parts = Components(settings, models=models)
    app = build_app(parts)
    launch_app(app, settings, prevent_thread_lock=True)
    yield settings
    app.close()
    parts.close()


@pytest.fixture
def client(web: Settings) -> Client:
    return Client(f"http://127.0.0.1:{web.port}/", verbose=False)


def ask(client: Client, question: str) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    _, messages, sources, answer = client.predict(
        question, [], "extractive", 5, False, api_name="/ask"
    )
    return messages, sources, answer


def cited_docs(answer: dict[str, Any]) -> set[str]:
    return {c["doc_id"] for c in answer["citations"]}


def test_a_question_gets_a_cited_answer_with_its_sources(client: Client) -> None:
    messages, sources, answer = ask(client, "When was ElyT-MaX created?")
    assert not answer["abstained"]
    assert "2016" in answer["answer"]
    assert cited_docs(answer) == {"cnrs-insis-international.md"}
    reply = messages[-1]["content"][0]["text"]
    assert 'class="cw-cite" href="#cw-s-' in reply
    first = answer["citations"][0]
    span = first["answer_span"]
    assert span and span in first["quote"]
    before, after = first["quote"].split(span, 1)
    assert f'<mark>{before}<strong class="cw-span">{span}</strong>{after}</mark>' in sources


def test_the_answer_arrives_as_a_stream_of_updates(client: Client) -> None:
    job = client.submit(
        "Which four countries does the INSIS want to work with?",
        [],
        "extractive",
        5,
        False,
        api_name="/ask",
    )
    final = job.result()
    updates = job.outputs()
    assert len(updates) >= 2
    assert "cw-pending" in updates[0][1][-1]["content"][0]["text"]
    assert "Australia" in final[3]["answer"]


def test_a_follow_up_question_is_read_with_the_conversation(client: Client) -> None:
    _, messages, _, first = client.predict(
        "When was ElyT-MaX created?", [], "extractive", 5, False, api_name="/ask"
    )
    _, messages, _, follow_up = client.predict(
        "Where is it based?", messages, "extractive", 5, False, api_name="/ask"
    )
    assert not first["abstained"]
    assert "ElyT-MaX" in follow_up["search_query"]
    assert len(messages) == 4


def test_a_question_with_markup_is_echoed_as_text(client: Client) -> None:
    messages, _, _ = ask(client, "<img src=x onerror=alert(1)> When was ElyT-MaX created?")
    shown = messages[0]["content"][0]["text"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown and "<img" not in shown


def test_an_uploaded_document_can_be_asked_about_then_removed(
    client: Client, tmp_path: Path
) -> None:
    upload = tmp_path / "zephyr-notes.md"
    upload.write_text(NEW_DOC)
    result, table, _, _, _ = client.predict([handle_file(upload)], api_name="/add_documents")
    assert '<span class="cw-status">added</span>zephyr-notes.md' in result
    assert ["Zephyr facility notes", "zephyr-notes.md"] in [row[:2] for row in table["data"]]

    _, _, answer = ask(client, "When was the Zephyr wind tunnel commissioned?")
    assert "1987" in answer["answer"]
    assert cited_docs(answer) == {"zephyr-notes.md"}

    _, _, _, scoped = client.predict(
        "When was it commissioned?",
        [],
        "extractive",
        5,
        False,
        ["cnrs-insis-international.md"],
        api_name="/ask",
    )
    assert scoped["searched_documents"] == ["cnrs-insis-international.md"]
    assert "zephyr-notes.md" not in cited_docs(scoped) and "1987" not in scoped["answer"]

    result, table, _, _ = client.predict("zephyr-notes.md", api_name="/remove_document")
    assert '<span class="cw-status">removed</span>zephyr-notes.md' in result
    assert "zephyr-notes.md" not in [row[1] for row in table["data"]]
    _, _, answer = ask(client, "When was the Zephyr wind tunnel commissioned?")
    assert "zephyr-notes.md" not in cited_docs(answer)


def test_an_upload_of_an_unsupported_type_is_refused_with_a_reason(
    client: Client, tmp_path: Path
) -> None:
    upload = tmp_path / "tool.exe"
    upload.write_bytes(b"MZ\x90\x00")
    result, table, _, _, _ = client.predict([handle_file(upload)], api_name="/add_documents")
    assert '<span class="cw-status">skipped</span>tool.exe' in result
    assert "unsupported extension .exe; citewise reads" in result
    assert [row[1] for row in table["data"]] == ["cnrs-insis-international.md"]
