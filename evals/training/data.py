"""Training and held-out examples for the reader, drawn from the shared SQuAD-format data.

Held-out articles are chosen by a hash of their source and title, so the split is the same on
every run and no paragraph of a held-out article is ever trained on. Besides the data's own
unanswerable questions, each answerable question may be paired with another paragraph of the
same article that lacks its answer, preferring the one sharing most words with the question:
the retrieved passage that looks right but does not answer, the common case in a RAG system.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED_QA = Path(__file__).resolve().parents[3] / "shared" / "qa"
TRAIN_FILE = SHARED_QA / "train.json.gz"
ADVERSARIAL_FILE = SHARED_QA / "squad20-dev-extra.json.gz"
"""SQuAD 2.0 development articles with crowd-written unanswerable questions (19 articles)."""
_WORD = re.compile(r"\w+")
HELDOUT_FRACTION = 0.04
"""Share of articles held out of training, for held-out F1, ranking and refusal fitting."""
ADVERSARIAL_HELDOUT_FRACTION = 0.3
"""Share of the adversarial articles held out whole: few articles, so a larger share, to
calibrate refusal on real unanswerable questions never trained on."""


@dataclass(frozen=True)
class Example:
    """One question read against one context; ``answer_start`` is None when it does not answer."""

    id: str
    source: str
    article: str
    question: str
    context: str
    answer_text: str | None
    answer_start: int | None
    paired: bool = False
    """True for a question paired with another paragraph of its article."""


@dataclass(frozen=True)
class Paragraph:
    context: str
    qas: list[dict]


@dataclass(frozen=True)
class Article:
    source: str
    title: str
    paragraphs: list[Paragraph]

    @property
    def key(self) -> str:
        return f"{self.source}/{self.title}"


def load_articles(path: Path = TRAIN_FILE) -> list[Article]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)["data"]
    return [
        Article(
            source=a.get("source", "unknown"),
            title=a["title"],
            paragraphs=[Paragraph(p["context"], p["qas"]) for p in a["paragraphs"]],
        )
        for a in data
    ]


def is_heldout(article: Article, fraction: float) -> bool:
    """Whether the article belongs to the held-out part (stable across runs and machines)."""
    digest = hashlib.sha256(article.key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(articles: list[Article], fraction: float) -> tuple[list[Article], list[Article]]:
    """(training articles, held-out articles)."""
    train = [a for a in articles if not is_heldout(a, fraction)]
    heldout = [a for a in articles if is_heldout(a, fraction)]
    return train, heldout


def training_split() -> tuple[list[Article], list[Article]]:
    """(training articles, held-out articles) of both files, each split at its own share."""
    train, heldout = split(load_articles(TRAIN_FILE), HELDOUT_FRACTION)
    adversarial_train, adversarial_heldout = split(
        load_articles(ADVERSARIAL_FILE), ADVERSARIAL_HELDOUT_FRACTION
    )
    return train + adversarial_train, heldout + adversarial_heldout


def own_examples(article: Article) -> Iterator[Example]:
    """The article's questions, each against its own paragraph (first gold answer)."""
    for paragraph in article.paragraphs:
        for qa in paragraph.qas:
            answers = [] if qa.get("is_impossible") else qa.get("answers", [])
            first = answers[0] if answers else None
            yield Example(
                id=qa["id"],
                source=article.source,
                article=article.key,
                question=qa["question"],
                context=paragraph.context,
                answer_text=first["text"] if first else None,
                answer_start=first["answer_start"] if first else None,
            )


def paired_negative(article: Article, example: Example, rng: random.Random) -> Example | None:
    """The question against the paragraph of its article that shares most words with it but
    holds none of its answers (ties broken at random); None if there is no such paragraph."""
    if example.answer_text is None:
        return None
    question_words = set(_WORD.findall(example.question.lower()))
    answer = example.answer_text.lower()
    candidates = [
        p.context
        for p in article.paragraphs
        if p.context != example.context and answer not in p.context.lower()
    ]
    if not candidates:
        return None
    best = max(
        candidates,
        key=lambda c: (len(question_words & set(_WORD.findall(c.lower()))), rng.random()),
    )
    return Example(
        id=f"{example.id}#paired",
        source=example.source,
        article=example.article,
        question=example.question,
        context=best,
        answer_text=None,
        answer_start=None,
        paired=True,
    )


def sample_examples(
    articles: list[Article],
    per_source: dict[str, int],
    paired_share: float,
    seed: int,
) -> list[Example]:
    """Up to ``per_source[source]`` of each source's own examples (all if the source is not
    named), plus a paired negative for a ``paired_share`` of the answerable ones."""
    rng = random.Random(seed)
    by_source: dict[str, list[tuple[Article, Example]]] = {}
    for article in articles:
        for example in own_examples(article):
            by_source.setdefault(article.source, []).append((article, example))
    chosen: list[Example] = []
    for source in sorted(by_source):
        pool = by_source[source]
        rng.shuffle(pool)
        limit = per_source.get(source, len(pool))
        for article, example in pool[:limit]:
            chosen.append(example)
            if example.answer_text is not None and rng.random() < paired_share:
                negative = paired_negative(article, example, rng)
                if negative is not None:
                    chosen.append(negative)
    rng.shuffle(chosen)
    return chosen
