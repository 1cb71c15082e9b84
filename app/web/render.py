"""Answers, citations and passages as HTML, from the Jinja2 templates in ``templates/``.

Document text, questions and answers are data, never markup: the templates escape every value
they place (``text()``, which also makes template and LaTeX characters inert), so ``<script>``
or ``onerror=`` in a document shows as text and never runs; only HTML the templates made
themselves passes unescaped. The browser script (``static/citewise.js``) relies on the ids made
here: a citation link ``#cw-s-<aid>-<n>`` points at source card ``cw-s-<aid>-<n>`` inside the
source set ``cw-set-<aid>`` of the answer it belongs to.

The templates are written one element a line, indented; the line breaks and the indentation
after them are not part of the HTML, which is one line: Gradio reads chat messages as Markdown,
where an indented or blank line would change them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.answer import Answer, Citation
from app.citations import replace_markers
from app.conversation import Turn
from app.scope import describe
from retriever.passage import Passage

HEADING_LINE = re.compile(r"^#{1,6}\s+(.*)$")
MARKDOWN_LINE_START = re.compile(r"^\s*(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+|\|)")
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
PREVIEW_CHARS = 220
CONTEXT_CHARS = 320
"""Characters of passage shown on each side of a highlighted quote."""
TEMPLATE_LINE_BREAK = re.compile(r"\n\s*")

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})


def text(value: object) -> str:
    """``value`` as HTML text: markup escaped, and template/LaTeX characters made inert."""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_CHARS)


def _escaped(value: object) -> object:
    """Every value a template places, escaped by ``text()`` unless the templates made it."""
    return value if hasattr(value, "__html__") else Markup(text(value))


class _OneLineLoader(FileSystemLoader):
    """Templates with their line breaks and the indentation after them taken out."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        return TEMPLATE_LINE_BREAK.sub("", source), filename, uptodate


@dataclass(frozen=True)
class QuoteWindow:
    """A quote with up to ``CONTEXT_CHARS`` of its passage on each side."""

    before: str
    quote: str
    after: str


@dataclass(frozen=True)
class QuotePlace:
    """Where a quote is: the passage's heading path (without a leading heading that repeats
    the title), the page, slide or row of the quote, and whether OCR read it."""

    headings: list[str]
    location: str
    ocr: bool


@dataclass(frozen=True)
class TableRow:
    values: list[str]
    cited: bool


@dataclass(frozen=True)
class RowsTable:
    columns: list[str]
    rows: list[TableRow]


@dataclass(frozen=True)
class ScoreColumn:
    name: str
    note: str
    digits: int
    attribute: str


SCORE_COLUMNS = (
    ScoreColumn(
        "Fused", "weighted reciprocal-rank fusion of the two rankings (higher is better)", 4,
        "fused_score",
    ),
    ScoreColumn(
        "Dense", "cosine similarity of the question and passage embeddings, -1 to 1", 3,
        "dense_score",
    ),
    ScoreColumn(
        "Lexical", "BM25 score of the question's terms in the passage, 0 and up", 2,
        "lexical_score",
    ),
)  # fmt: skip


def markdown_heading(line: str) -> str | None:
    """The text of a Markdown heading line, None for any other line."""
    heading = HEADING_LINE.match(line)
    return heading.group(1) if heading else None


def quote_window(passage_text: str, quote: str | None) -> QuoteWindow | None:
    """The quote with up to ``CONTEXT_CHARS`` around it, cut at word boundaries; None when
    there is no quote or it is not in the passage."""
    start = passage_text.find(quote) if quote else -1
    if start < 0 or not quote:
        return None
    end = start + len(quote)
    lo = max(0, start - CONTEXT_CHARS)
    hi = min(len(passage_text), end + CONTEXT_CHARS)
    if lo > 0:
        space = passage_text.find(" ", lo)
        lo = space + 1 if 0 <= space < start else lo
    if hi < len(passage_text):
        space = passage_text.rfind(" ", end, hi)
        hi = space if space > end else hi
    before = ("… " if lo > 0 else "") + passage_text[lo:start]
    after = passage_text[end:hi] + (" …" if hi < len(passage_text) else "")
    return QuoteWindow(before, passage_text[start:end], after)


def place_of_quote(passage: Passage, quote: str | None = None) -> QuotePlace:
    """Where ``quote`` (the passage's start without one) is in its document."""
    headings = list(passage.heading_path)
    if headings and headings[0].strip() == passage.title.strip():
        headings = headings[1:]
    offset = max(passage.text.find(quote), 0) if quote else 0
    return QuotePlace(headings, passage.location(offset), passage.place_of(offset).ocr)


def _row_cells(line: str) -> list[tuple[str, str]]:
    """``Plan: Pro; Price: 20 EUR`` -> ``[("Plan", "Pro"), ("Price", "20 EUR")]`` (the form
    the loaders give table rows in, see ``ingest.loaders.tables``)."""
    cells = []
    for part in line.split("; "):
        key, sep, value = part.partition(": ")
        cells.append((key, value) if sep else ("", part))
    return cells


def cited_rows(passage: Passage, quote: str | None) -> RowsTable | None:
    """The table rows of the passage around the quote, the cited one flagged; ``None`` when
    the quote is not in a table row."""
    at = passage.text.find(quote) if quote else -1
    if at < 0 or passage.place_of(at).row is None:
        return None
    rows: list[tuple[int, list[tuple[str, str]], bool]] = []
    for place in passage.places:
        offset = place.start - passage.start
        if place.row is None or not 0 <= offset < len(passage.text):
            continue
        end = passage.text.find("\n", offset)
        end = len(passage.text) if end < 0 else end
        rows.append((place.row, _row_cells(passage.text[offset:end]), offset <= at < end))
    columns = list(dict.fromkeys(key for _, cells, _ in rows for key, _ in cells))
    return RowsTable(
        ["Row", *columns],
        [
            TableRow([str(number), *(dict(cells).get(c, "") for c in columns)], cited)
            for number, cells, cited in rows
        ],
    )


def plain_preview(passage_text: str, chars: int = PREVIEW_CHARS) -> str:
    """The start of a passage as plain text: Markdown heading, list, quote and table marks,
    emphasis and link syntax removed, lines joined."""
    kept = []
    for line in passage_text.split("\n"):
        line = MARKDOWN_LINE_START.sub("", line).replace("|", " ")
        line = MARKDOWN_EMPHASIS.sub("", MARKDOWN_LINK.sub(r"\1", line))
        if line.strip(" -:"):
            kept.append(" ".join(line.split()))
    preview = " ".join(kept)
    if len(preview) <= chars:
        return preview
    return preview[:chars].rsplit(" ", 1)[0] + " …"


def unique_citations(citations: list[Citation]) -> list[Citation]:
    """One citation per number (the first), in number order."""
    seen: dict[int, Citation] = {}
    for c in citations:
        seen.setdefault(c.n, c)
    return [seen[n] for n in sorted(seen)]


TEMPLATES = Environment(
    loader=_OneLineLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    finalize=_escaped,
    undefined=StrictUndefined,
)
"""The templates' environment: constant once made (Jinja compiles each template once)."""
TEMPLATES.globals.update(
    describe=describe,
    markdown_heading=markdown_heading,
    quote_window=quote_window,
    place_of_quote=place_of_quote,
    cited_rows=cited_rows,
    plain_preview=plain_preview,
    unique_citations=unique_citations,
    score_columns=SCORE_COLUMNS,
)
TEMPLATES.filters["decimals"] = lambda value, digits: f"{value:.{digits}f}"


def _macro(template: str, name: str) -> Any:
    return getattr(TEMPLATES.get_template(template).module, name)


def lines(value: str) -> str:
    """Escaped text on one HTML line (line breaks as ``<br>``) so Markdown leaves it alone."""
    return str(_macro("text.html", "lines")(value))


def user_message(question: str) -> str:
    return TEMPLATES.get_template("question.html").render(question=question)


def pending_message(doing: str = "Searching the documents") -> str:
    return TEMPLATES.get_template("pending.html").render(doing=doing)


def _link_markers(answer_text: str, aid: str, numbers: set[int]) -> str:
    """The answer's text with each marker of a source it has as a link to that source."""
    link_template = TEMPLATES.get_template("link.html")

    def link(cited: list[int], written: str) -> str:
        if not set(cited) <= numbers:
            return written
        return "".join(link_template.render(aid=aid, n=n) for n in cited)

    return replace_markers(lines(answer_text.strip()), link)


def answer_message(answer: Answer, aid: str, final: bool = True) -> str:
    """The chat bubble of an answer: its text with clickable markers and a one-line footnote."""
    numbers = {c.n for c in answer.citations}
    body = Markup(_link_markers(answer.text, aid, numbers) or "&#8230;")
    return TEMPLATES.get_template("answer.html").render(answer=answer, body=body, final=final)


def scores_table(passages: Iterable[Passage]) -> str:
    """Every retrieved passage, best fused score first, with its fused, dense and lexical
    scores: each column on its own scale, named in the column's tooltip and the caption."""
    return str(_macro("scores_table.html", "scores_table")(list(passages)))


def sources_panel(turns: list[Turn], show_scores: bool) -> str:
    """Every answer's sources, the latest one visible."""
    return TEMPLATES.get_template("sources_panel.html").render(turns=turns, show_scores=show_scores)
