"""Answers, citations and passages as HTML, with every piece of text escaped.

Document text, questions and answers are data, never markup: each string goes through
``text()`` before it is placed in HTML, so ``<script>`` or ``onerror=`` in a document shows
as text and never runs. The browser script (``static/citewise.js``) relies on the ids made
here: a citation link ``#cw-s-<aid>-<n>`` points at source card ``cw-s-<aid>-<n>`` inside the
source set ``cw-set-<aid>`` of the answer it belongs to.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

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

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})


def text(value: object) -> str:
    """``value`` as HTML text: markup escaped, and template/LaTeX characters made inert."""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_CHARS)


def lines(value: str) -> str:
    """Escaped text on one HTML line (line breaks as ``<br>``) so Markdown leaves it alone."""
    return "<br>".join(text(line) for line in value.split("\n"))


def passage_lines(value: str) -> str:
    """Like ``lines``, with Markdown heading lines of a passage shown as bold headings."""
    shown = []
    for line in value.split("\n"):
        heading = HEADING_LINE.match(line)
        shown.append(f"<strong>{text(heading.group(1))}</strong>" if heading else text(line))
    return "<br>".join(shown)


def user_message(question: str) -> str:
    return f'<div class="cw-question">{lines(question.strip())}</div>'


def pending_message(doing: str = "Searching the documents") -> str:
    return f'<div class="cw-answer cw-pending"><span class="cw-dots">{text(doing)}</span></div>'


def _link_markers(answer_text: str, aid: str, numbers: set[int]) -> str:
    def link(cited: list[int], written: str) -> str:
        if not set(cited) <= numbers:
            return written
        return "".join(
            f'<a class="cw-cite" href="#cw-s-{aid}-{n}" title="Show source {n}">[{n}]</a>'
            for n in cited
        )

    return replace_markers(lines(answer_text.strip()), link)


def answer_message(answer: Answer, aid: str, final: bool = True) -> str:
    """The chat bubble of an answer: its text with clickable markers and a one-line footnote."""
    numbers = {c.n for c in answer.citations}
    body = _link_markers(answer.text, aid, numbers) or "&#8230;"
    classes = "cw-answer cw-abstain" if answer.abstained else "cw-answer"
    icon = '<span class="cw-icon" aria-hidden="true">&#8856;</span>' if answer.abstained else ""
    if not final:
        meta = "writing&#8230;"
    elif answer.abstained:
        meta = "No supported answer &#183; closest passages in Sources"
    else:
        count = len(answer.citations)
        meta = f"{count} source{'s' if count != 1 else ''} &#183; {text(answer.backend)}"
    if answer.note and final:
        meta += f" &#183; {text(answer.note)}"
    elif answer.searched_documents is not None and final:
        meta += f" &#183; searched only {text(describe(answer.searched_documents))}"
    return (
        f'<div class="{classes}">{icon}<div class="cw-body">{body}</div>'
        f'<div class="cw-meta">{meta}</div></div>'
    )


def _window(passage_text: str, start: int, end: int) -> tuple[str, str, str]:
    """The quote with up to ``CONTEXT_CHARS`` around it, cut at word boundaries."""
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
    return before, passage_text[start:end], after


def highlighted(passage: Passage, quote: str | None, span: str | None = None) -> str:
    """The passage as HTML with ``quote`` marked, and inside it the answer ``span`` in bold;
    the whole passage when there is no quote."""
    start = passage.text.find(quote) if quote else -1
    if start < 0 or not quote:
        return passage_lines(passage.text.strip())
    before, middle, after = _window(passage.text, start, start + len(quote))
    return f"{passage_lines(before)}<mark>{_with_span(middle, span)}</mark>{passage_lines(after)}"


def _with_span(quote: str, span: str | None) -> str:
    at = quote.find(span) if span else -1
    if at < 0 or not span:
        return lines(quote)
    end = at + len(span)
    return (
        f'{lines(quote[:at])}<strong class="cw-span">{lines(quote[at:end])}</strong>'
        f"{lines(quote[end:])}"
    )


def _where(passage: Passage, quote: str | None = None) -> str:
    """Heading path (without a leading heading that repeats the title), then the page, slide
    or row of the quote (of the passage's start without one), and whether OCR read it."""
    headings = list(passage.heading_path)
    if headings and headings[0].strip() == passage.title.strip():
        headings = headings[1:]
    parts = [text(h) for h in headings]
    where = " &#8250; ".join(parts)
    offset = max(passage.text.find(quote), 0) if quote else 0
    location = passage.location(offset)
    if location:
        where += f"{' &#183; ' if where else ''}{text(location)}"
    if passage.place_of(offset).ocr:
        where += f"{' &#183; ' if where else ''}text read by OCR, may hold misread words"
    return where


def _row_cells(line: str) -> list[tuple[str, str]]:
    """``Plan: Pro; Price: 20 EUR`` -> ``[("Plan", "Pro"), ("Price", "20 EUR")]`` (the form
    the loaders give table rows in, see ``ingest.loaders.tables``)."""
    cells = []
    for part in line.split("; "):
        key, sep, value = part.partition(": ")
        cells.append((key, value) if sep else ("", part))
    return cells


def cited_rows_table(passage: Passage, quote: str | None, span: str | None = None) -> str | None:
    """The table rows of the passage around the quote, as an HTML table whose cited row is
    marked; ``None`` when the quote is not in a table row."""
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
    head = "".join(f"<th>{text(c)}</th>" for c in ["Row", *columns])
    body = []
    for number, cells, cited in rows:
        values = dict(cells)
        shown = [str(number), *(values.get(c, "") for c in columns)]
        if cited:
            tds = "".join(f"<td><mark>{_with_span(v, span)}</mark></td>" for v in shown)
            body.append(f'<tr class="cw-cited">{tds}</tr>')
        else:
            body.append("<tr>" + "".join(f"<td>{text(v)}</td>" for v in shown) + "</tr>")
    return (
        f'<table class="cw-rows"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def source_card(
    passage: Passage, label: str, card_id: str, quote: str | None, span: str | None = None
) -> str:
    where = _where(passage, quote)
    body = cited_rows_table(passage, quote, span)
    if body is None:
        body = f'<p class="cw-passage">{highlighted(passage, quote, span)}</p>'
    return (
        f'<article class="cw-source" id="{card_id}">'
        f'<header><span class="cw-badge">{text(label)}</span><div>'
        f'<div class="cw-title">{text(passage.title)}</div>'
        f"{f'<div class=cw-where>{where}</div>' if where else ''}"
        f"</div></header>"
        f"{body}"
        f'<footer class="cw-doc">{text(passage.doc_id)}</footer></article>'
    )


def _score(value: float | None, digits: int) -> str:
    return "&#8212;" if value is None else f"{value:.{digits}f}"


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


SCORE_COLUMNS = (
    ("Fused", "weighted reciprocal-rank fusion of the two rankings (higher is better)", 4),
    ("Dense", "cosine similarity of the question and passage embeddings, -1 to 1", 3),
    ("Lexical", "BM25 score of the question's terms in the passage, 0 and up", 2),
)


def scores_table(passages: Iterable[Passage]) -> str:
    """Every retrieved passage, best fused score first, with its fused, dense and lexical
    scores: each column on its own scale, named in the column's tooltip and the caption."""
    ranked = sorted(passages, key=lambda p: p.fused_score, reverse=True)
    rows = "".join(
        f"<tr><td>{i}</td><td><div class=cw-title>{text(p.title)}</div>"
        f"<div class=cw-where>{_where(p)}</div>"
        f"<div class=cw-snippet>{text(plain_preview(p.text))}</div></td>"
        + "".join(
            f"<td>{_score(value, digits)}</td>"
            for value, (_, _, digits) in zip(
                (p.fused_score, p.dense_score, p.lexical_score), SCORE_COLUMNS, strict=True
            )
        )
        + "</tr>"
        for i, p in enumerate(ranked, 1)
    )
    heads = "".join(f'<th title="{text(note)}">{name}</th>' for name, note, _ in SCORE_COLUMNS)
    caption = "; ".join(f"{name}: {note}" for name, note, _ in SCORE_COLUMNS)
    return (
        f'<table class="cw-scores"><caption>{text(caption)}. &#8212; = not found by that '
        f"search.</caption><thead><tr><th>#</th><th>Passage</th>{heads}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _cards(turn: Turn) -> str:
    answer, aid = turn.answer, turn.aid
    if answer.citations:
        return "".join(
            source_card(c.passage, str(c.n), f"cw-s-{aid}-{c.n}", c.quote, c.answer_span)
            for c in _unique(answer.citations)
        )
    if answer.passages:
        return '<p class="cw-hint">Closest passages found:</p>' + "".join(
            source_card(p, f"~{i}", f"cw-s-{aid}-p{i}", None)
            for i, p in enumerate(answer.passages[:3], 1)
        )
    return '<p class="cw-hint">No passage of the documents matches this question.</p>'


def _unique(citations: list[Citation]) -> list[Citation]:
    seen: dict[int, Citation] = {}
    for c in citations:
        seen.setdefault(c.n, c)
    return [seen[n] for n in sorted(seen)]


def source_set(turn: Turn, active: bool, show_scores: bool) -> str:
    """The sources of one answer; only the active set is shown, the script switches sets."""
    answer = turn.answer
    kind = "cw-set cw-active" if active else "cw-set"
    if answer.abstained:
        kind += " cw-set-abstain"
    scores = ""
    if show_scores and answer.passages:
        scores = (
            f'<details class="cw-all" open><summary>All {len(answer.passages)} retrieved '
            f"passages with scores</summary>{scores_table(answer.passages)}</details>"
        )
    return (
        f'<section class="{kind}" id="cw-set-{turn.aid}">'
        f'<div class="cw-set-head">Sources for <q>{text(answer.question)}</q></div>'
        f"{_cards(turn)}{scores}</section>"
    )


def sources_panel(turns: list[Turn], show_scores: bool) -> str:
    """Every answer's sources, the latest one visible."""
    if not turns:
        return (
            '<div class="cw-panel cw-empty"><p>Ask a question: the passages that support the '
            "answer appear here, with the quoted words highlighted.</p></div>"
        )
    sets = "".join(
        source_set(turn, i == len(turns) - 1, show_scores) for i, turn in enumerate(turns)
    )
    return f'<div class="cw-panel">{sets}</div>'
