"""What a first answer imports: the extractive path loads no LangChain and no LLM client, and
on the default ONNX runtimes no torch, transformers or scikit-learn at all. Each check runs in
a new interpreter, as a user's ``citewise ask`` does. (How long it takes is measured by
evals/bench/cold_ask.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from paths import ROOT

from app.composition import Models
from ingest.settings import load_settings

LLM_PACKAGES = {"langchain", "langchain_core", "langchain_openai", "langsmith", "openai", "ollama"}
LLM_PACKAGES |= {"llama_cpp"}


def imported_after(code: str) -> set[str]:
    """The top-level packages a new interpreter has imported once ``code`` has run."""
    report = "import json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    script = f"{code}\n{report}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_loading_the_answer_path_imports_no_model_library():
    modules = imported_after(
        "import app.cli, app.commands.ask, app.composition, app.engine, app.errors, "
        "app.llm.errors, retriever.hybrid, ingest.store"
    )
    assert not modules & LLM_PACKAGES
    assert not modules & {"torch", "transformers", "sentence_transformers", "chromadb"}


def test_an_extractive_answer_imports_no_llm_code_and_no_torch(
    insis_store_dir: Path, models: Models
):
    # The ONNX exports are made once per machine, with torch; here they exist already.
    models.reader()
    models.embedder(load_settings(store_dir=insis_store_dir)).embed_query("warm up")
    modules = imported_after(
        "from click.testing import CliRunner\n"
        "from app.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['ask', 'When was ElyT-MaX created?', "
        f"'--store', {str(insis_store_dir)!r}])\n"
        "assert result.exit_code == 0 and '2016' in result.output, result.output"
    )
    assert "onnxruntime" in modules
    assert not modules & {"torch", "transformers", "sentence_transformers", "sklearn", "scipy"}
    assert not modules & LLM_PACKAGES
    assert "app" in modules and "gradio" not in modules


def test_components_import_no_model_library_until_a_model_is_used(insis_store_dir: Path):
    modules = imported_after(
        "from app.composition import Components\n"
        "from ingest.settings import load_settings\n"
        f"parts = Components(load_settings(store_dir={str(insis_store_dir)!r}))\n"
        "parts.engine, parts.retriever, parts.embedder, parts.calibration\n"
        "assert parts.store.has_documents()"
    )
    assert not modules & {"torch", "transformers", "sentence_transformers", "gradio"}
    assert not modules & LLM_PACKAGES


def test_the_llm_names_still_load_on_first_use():
    modules = imported_after("from app.llm import LLMAnswerer, check_answer")
    assert "langchain_core" in modules
