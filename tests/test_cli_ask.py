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
        pytest.param('{"role": "user"}', "must be a list", id="not-a-list"),
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
