"""The ``ask`` command: one question, its cited answer and the sources it quotes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from app.answer import Answer
from app.commands.options import store_option
from app.composition import Components
from ingest.settings import load_settings

QUOTE_WIDTH = 96


@click.command()
@click.argument("question")
@click.option(
    "--history",
    "history_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Conversation file: read as the conversation so far (so a follow-up such as "
    '"Where is it?" is understood), then the question and its answer are appended. Created '
    "when missing; the web chat's saved conversations have the same format.",
)
@click.option(
    "--doc",
    "docs",
    multiple=True,
    metavar="ID",
    help="Search only this document, or every document under this folder prefix of ids "
    "(e.g. reports/); repeat for several. 'citewise docs' lists the ids.",
)
@click.option("--backend", help="Answer backend: extractive (default) or llm (setting backend).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@store_option
@click.option(
    "--top-k", type=click.IntRange(1, 50), help="Passages to answer from (setting top_k)."
)
def ask(
    question: str,
    history_file: Path | None,
    docs: tuple[str, ...],
    backend: str | None,
    as_json: bool,
    store_dir: Path | None,
    top_k: int | None,
) -> None:
    """Answer QUESTION from the indexed documents, citing the passages it quotes.

    When the documents do not hold the answer, it says so in one fixed sentence and shows
    the closest passages instead.

    \b
    Examples:
      citewise ask "When was ElyT-MaX created?"
      citewise ask "Which university is it run with?" --history chat.json
      citewise ask "When was it created?" --doc reports/ --doc notes.md
      citewise ask "How many IRP does the INSIS have?" --json
      citewise ask "..." --backend llm   # needs llm_base_url / llm_model settings
    """
    from app.history_file import read_history_file

    history = read_history_file(history_file) if history_file else None
    settings = load_settings(store_dir=store_dir, top_k=top_k)
    answer = Components.existing(settings).engine.answer(
        question, history.messages() if history else [], backend=backend, scope=docs
    )
    if history is not None:
        history.append(answer)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render(answer))


def render(answer: Answer) -> str:
    """The answer for a terminal: text, short answer, note, then the numbered sources."""
    lines = [answer.text]
    if answer.short_answer:
        lines += ["", f"Short answer: {answer.short_answer}"]
    if answer.note:
        lines += ["", f"Note: {answer.note}"]
    if answer.searched_documents is not None:
        lines += ["", f"Searched only: {', '.join(answer.searched_documents)}"]
    if answer.citations:
        lines += ["", "Sources:"]
    for citation in answer.citations:
        passage = citation.passage
        where = [passage.title or passage.doc_id]
        headings = [h for h in passage.heading_path if h != passage.title]
        if headings:
            where.append(" > ".join(headings))
        location = citation.location
        if location:
            where.append(location)
        if citation.place.ocr:
            where.append("OCR")
        lines.append(f"[{citation.n}] " + " — ".join(where))
        quote = " ".join(citation.quote.split())
        lines += textwrap.wrap(f"“{quote}”", QUOTE_WIDTH, initial_indent="    ",
                               subsequent_indent="    ")  # fmt: skip
    return "\n".join(lines)
