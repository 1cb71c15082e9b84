"""``citewise ask`` as a user runs it: text and JSON output, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli

pytestmark = pytest.mark.slow

CITATION_KEYS = {"n", "doc_id", "title", "quote", "passage", "start", "end", "page"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["ask", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_output_is_one_object_with_the_documented_schema(insis_store_dir: Path) -> None:
    code, out, _ = run("When was ElyT-MaX created?", "--json", "--store", str(insis_store_dir))
    assert code == 0
    data = json.loads(out)
    assert {"answer", "abstained", "short_answer", "citations", "backend", "timings_ms"} <= set(
        data
    )
    assert data["short_answer"] == "January 1, 2016" and data["abstained"] is False
    assert data["backend"] == "extractive"
    assert all(isinstance(v, (int, float)) for v in data["timings_ms"].values())
    for citation in data["citations"]:
        assert set(citation) >= CITATION_KEYS
        assert citation["quote"] in citation["passage"]
        assert f"[{citation['n']}]" in data["answer"]


def test_text_output_shows_the_answer_then_numbered_sources(insis_store_dir: Path) -> None:
    code, out, _ = run("Which company co-manages CINTRA?", "--store", str(insis_store_dir))
    assert code == 0
    answer, _, sources = out.partition("\nSources:\n")
    assert "co-managed with Thales" in answer and "PSA [1]." in answer
    assert "Short answer: Thales" in answer
    assert sources.startswith("[1] The international strategy of the CNRS engineering institute")
    assert "“Several of them have strong links with industrialists" in sources


def test_history_file_resolves_a_follow_up(insis_store_dir: Path, tmp_path: Path) -> None:
    history = tmp_path / "chat.json"
    history.write_text(json.dumps([
        {"role": "user", "content": "Which international laboratory is based in Sendai?"},
        {"role": "assistant", "content": "ElyT-MaX (materials) with Tohoku University [1]."},
    ]))  # fmt: skip
    code, out, _ = run("When was it created?", "--history", str(history), "--json",
                       "--store", str(insis_store_dir))  # fmt: skip
    assert code == 0
    assert json.loads(out)["short_answer"] == "January 1, 2016"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "is not valid JSON", id="not-json"),
        pytest.param('{"role": "user"}', 'or a list of {"role", "content"} messages',
                     id="not-a-list"),
        pytest.param('[{"role": "robot", "content": "hi"}]', "role of 'user' or 'assistant'",
                     id="bad-role"),
    ],
)  # fmt: skip
def test_bad_history_file_is_a_clear_error(
    insis_store_dir: Path, tmp_path: Path, content: str, message: str
) -> None:
    history = tmp_path / "chat.json"
    history.write_text(content)
    code, _, err = run("Where is it?", "--history", str(history), "--store", str(insis_store_dir))
    assert code == 1
    assert err.startswith("Error: History file") and message in err
    assert "Traceback" not in err
    assert history.read_text() == content


def test_history_file_is_created_then_appended_in_the_chat_format(
    insis_store_dir: Path, tmp_path: Path
) -> None:
    from app.conversation_store import ConversationStore

    history = tmp_path / "chat.json"
    store = ("--store", str(insis_store_dir))
    code, _, _ = run("Which international laboratory is based in Sendai?", "--history",
                     str(history), *store)  # fmt: skip
    assert code == 0
    code, out, _ = run("When was it created?", "--history", str(history), "--json", *store)
    assert code == 0 and json.loads(out)["short_answer"] == "January 1, 2016"

    saved = json.loads(history.read_text())
    assert saved["format"] == "citewise-conversation"
    assert saved["title"] == "Which international laboratory is based in Sendai?"
    assert [t["question"] for t in saved["turns"]] == [
        "Which international laboratory is based in Sendai?",
        "When was it created?",
    ]
    assert saved["turns"][1]["citations"][0]["passage"]["text"]
    chat_folder = ConversationStore(tmp_path / "web")
    chat_folder.folder.mkdir(parents=True)
    (chat_folder.folder / f"{saved['id']}.json").write_text(history.read_text())
    reopened = chat_folder.load(saved["id"])
    assert reopened.turns[1].answer.short_answer == "January 1, 2016"


def test_a_hand_written_history_list_is_appended_as_a_list(
    insis_store_dir: Path, tmp_path: Path
) -> None:
    history = tmp_path / "chat.json"
    said = [
        {"role": "user", "content": "Which international laboratory is based in Sendai?"},
        {"role": "assistant", "content": "ElyT-MaX (materials) with Tohoku University [1]."},
    ]
    history.write_text(json.dumps(said))  # fmt: skip
    code, _, _ = run("When was it created?", "--history", str(history),
                     "--store", str(insis_store_dir))  # fmt: skip
    assert code == 0
    messages = json.loads(history.read_text())
    assert messages[:2] == said and messages[2] == {
        "role": "user",
        "content": "When was it created?",
    }
    assert messages[3]["role"] == "assistant" and "2016" in messages[3]["content"]


def test_doc_limits_the_search_and_the_answer_names_what_it_searched(
    insis_store_dir: Path, tmp_path: Path
) -> None:
    import shutil

    from ingest.settings import Settings
    from ingest.sync import sync_paths

    store_dir = tmp_path / "store"
    shutil.copytree(insis_store_dir, store_dir)
    notes = tmp_path / "docs" / "lab" / "kestrel.md"
    notes.parent.mkdir(parents=True)
    notes.write_text("# Kestrel notes\n\nThe Kestrel rig was assembled in 2011 in Lille.\n")
    assert sync_paths([tmp_path / "docs"], Settings(store_dir=store_dir), prune=False).added == 1
    store = ("--store", str(store_dir))

    code, out, _ = run("When was ElyT-MaX created?", "--doc", "lab/", "--json", *store)
    data = json.loads(out)
    assert code == 0 and data["searched_documents"] == ["lab/kestrel.md"]
    assert {c["doc_id"] for c in data["citations"]} <= {"lab/kestrel.md"}
    assert "2016" not in data["answer"]

    code, out, _ = run("When was ElyT-MaX created?", "--doc", "cnrs-insis-international.md",
                       "--doc", "lab", *store)  # fmt: skip
    assert code == 0 and "January 1, 2016" in out
    assert "Searched only: cnrs-insis-international.md, lab/kestrel.md" in out

    code, out, _ = run("What is the recipe for a chocolate soufflé?", "--doc", "lab/", *store)
    assert code == 0 and out.startswith("The documents do not contain an answer")
    assert "Note: only lab/kestrel.md searched; ask without a scope" in out

    code, _, err = run("When?", "--doc", "nowhere/", *store)
    assert code == 1 and "No indexed document matches 'nowhere/'" in err


def test_settings_are_listed_with_plain_values() -> None:
    result = CliRunner().invoke(cli, ["settings"])
    assert result.exit_code == 0
    assert "store_dir = .citewise\n" in result.stdout
    assert "chroma_url = (not set)" in result.stdout
    assert "PosixPath" not in result.stdout and "None" not in result.stdout


def test_empty_index_tells_to_ingest(tmp_path: Path) -> None:
    from ingest.settings import load_settings
    from ingest.store import ChunkStore

    ChunkStore.open(load_settings(store_dir=tmp_path / "empty"))  # an index with no document
    code, _, err = run("When was ElyT-MaX created?", "--store", str(tmp_path / "empty"))
    assert code == 1
    assert "citewise ingest corpus/" in err and "Traceback" not in err


def test_unconfigured_llm_backend_names_the_settings(insis_store_dir: Path) -> None:
    code, _, err = run("When?", "--backend", "llm", "--store", str(insis_store_dir))
    assert code == 1
    assert "llm_base_url" in err and "Traceback" not in err
