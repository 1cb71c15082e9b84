"""Reading SQuAD v2.0 files: articles as documents, and their questions."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import CitewiseError

SHARED_BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
DEFAULT_SQUAD = SHARED_BENCH / "squad-v2-dev-slice.json"


@dataclass(frozen=True)
class SquadArticle:
    title: str
    text: str
    """The article's paragraphs joined by blank lines: one document."""


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    article: str
    answers: tuple[str, ...]
    answerable: bool


def read_squad(path: Path = DEFAULT_SQUAD) -> tuple[list[SquadArticle], list[SquadQuestion]]:
    """Articles and questions of a SQuAD-format file (``.json``, or gzip-compressed ``.gz``)."""
    try:
        raw = gzip.decompress(Path(path).read_bytes()) if str(path).endswith(".gz") else None
        text = raw.decode("utf-8") if raw is not None else Path(path).read_text(encoding="utf-8")
        data = json.loads(text)["data"]
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise CitewiseError(f"Cannot read SQuAD file {path}: {exc}") from None
    articles, questions = [], []
    for item in data:
        paragraphs = [p["context"].strip() for p in item["paragraphs"]]
        articles.append(SquadArticle(title=item["title"], text="\n\n".join(paragraphs)))
        for paragraph in item["paragraphs"]:
            for qa in paragraph["qas"]:
                questions.append(
                    SquadQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        article=item["title"],
                        answers=tuple(dict.fromkeys(a["text"] for a in qa["answers"])),
                        answerable=not qa.get("is_impossible", False),
                    )
                )
    return articles, questions


def sample(questions: list[SquadQuestion], n: int | None, seed: int = 0) -> list[SquadQuestion]:
    """A fixed random sample (the same for every run with the same seed), in file order."""
    if n is None or n >= len(questions):
        return list(questions)
    chosen = set(random.Random(seed).sample(range(len(questions)), n))
    return [q for i, q in enumerate(questions) if i in chosen]


def asked_about(articles: list[SquadArticle], questions: list[SquadQuestion]) -> list[SquadArticle]:
    """The articles that the questions come from: a sample of a large file indexes only them."""
    titles = {q.article for q in questions}
    return [a for a in articles if a.title in titles]


def write_articles(articles: list[SquadArticle], folder: Path) -> list[Path]:
    """Write each article as ``<title>.txt`` so it can be ingested like any user file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for article in articles:
        path = folder / f"{article.title}.txt"
        path.write_text(article.text, encoding="utf-8")
        paths.append(path)
    return paths
