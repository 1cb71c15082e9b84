"""The held-out questions calibration asks, and why each unanswerable one has no answer."""

from __future__ import annotations

from evals.training.calibrate import (
    ARTICLE_LEFT_OUT_SHARE,
    Unanswerable,
    _left_out,
    corpus_and_questions,
)
from evals.training.data import Article, Paragraph


def _article(title: str, paragraphs: int) -> Article:
    return Article(
        "squad20_dev_extra",
        title,
        [
            Paragraph(
                f"Paragraph {i} of {title} says the value is v{i}x{title}.",
                [
                    {"question": f"What value does {title} {i} give?",
                     "answers": [{"text": f"v{i}x{title}"}]},
                    {"question": f"What price does {title} {i} give?", "is_impossible": True,
                     "answers": []},
                ],
            )
            for i in range(paragraphs)
        ],
    )  # fmt: skip


def test_each_unanswerable_question_says_why_it_has_no_answer() -> None:
    articles = [_article(f"A{n}", 6) for n in range(12)]
    texts, asked = corpus_and_questions(articles, limit=10_000, seed=1)
    indexed = "\n".join(texts.values())
    reasons = {a.question: a.unanswerable for a in asked}
    assert set(reasons.values()) == {None, *Unanswerable}
    for article in articles:
        for paragraph in article.paragraphs:
            answerable, written = (qa["question"] for qa in paragraph.qas)
            present = paragraph.context in indexed
            if present:
                assert reasons[answerable] is None
                assert reasons[written] is Unanswerable.WRITTEN
            else:
                assert reasons[written] is Unanswerable.WRITTEN_UNINDEXED
                assert reasons[answerable] in (
                    Unanswerable.PARAGRAPH_LEFT_OUT,
                    Unanswerable.ARTICLE_LEFT_OUT,
                )
                assert (reasons[answerable] is Unanswerable.PARAGRAPH_LEFT_OUT) == (
                    not _left_out(article.key, ARTICLE_LEFT_OUT_SHARE, "article-left-out")
                )
