"""A conversation as Markdown: each question, its answer, and the numbered sources it cites
with their quotes, so the export stands on its own without the index."""

from __future__ import annotations

from app.answer import Answer
from app.conversation import Conversation


def _where(answer: Answer, n: int) -> str:
    citation = next(c for c in answer.citations if c.n == n)
    p = citation.passage
    parts = [p.title or p.doc_id]
    headings = [h for h in p.heading_path if h.strip() != p.title.strip()]
    if headings:
        parts.append(" › ".join(headings))
    if p.page is not None:
        parts.append(f"page {p.page}")
    return " — ".join(parts) + f" (`{p.doc_id}`)"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().split("\n"))


def answer_markdown(answer: Answer) -> str:
    lines = [f"## {answer.question.strip()}", "", answer.text.strip()]
    if answer.short_answer:
        lines += ["", f"**Short answer:** {answer.short_answer}"]
    if answer.note:
        lines += ["", f"*Note: {answer.note}*"]
    if answer.searched_documents is not None:
        lines += ["", f"*Searched only: {', '.join(answer.searched_documents)}*"]
    numbers = sorted({c.n for c in answer.citations})
    if numbers:
        lines += ["", "**Sources**" if not answer.abstained else "**Closest passages**", ""]
    for n in numbers:
        citation = next(c for c in answer.citations if c.n == n)
        lines += [f"[{n}] {_where(answer, n)}", "", _quote(citation.quote), ""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(conversation: Conversation) -> str:
    """The whole conversation, oldest question first."""
    head = [f"# {conversation.title or 'Conversation'}", ""]
    head.append(f"*Exported from citewise; started {conversation.created_at}.*")
    parts = ["\n".join(head) + "\n"]
    parts += [answer_markdown(turn.answer) for turn in conversation.turns]
    return "\n".join(parts)
