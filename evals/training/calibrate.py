"""Fit the reader's passage ranking and refusal model on held-out training articles.

Run ``python -m evals.training.calibrate`` after training. The held-out articles are read
through the real pipeline: they are ingested into a temporary index and each question is
answered from the hybrid retriever's passages. To make questions the corpus cannot answer,
some paragraphs of every article (and some whole one-paragraph articles) are left out of the
index: their questions still find passages about the same subject, which is the hard case of
a RAG system (a question near the corpus, not in it). Some whole articles are left out too:
their questions find only passages on other subjects that share a word or two with them,
the off-topic question a user asks of a library that does not cover it. Questions whose answer
still occurs in the indexed text are skipped as ambiguous.

Some sources are one "article" holding thousands of unrelated short documents (tweets,
product reviews, chat dialogues, news sentences); training read only a sample of them. Their
paragraphs that no training example contains are held out too, grouped into documents of
``GROUP`` paragraphs, so the refusal model also sees informal text, not only Wikipedia.

The reader is surer of itself in edited prose than in informal text, answerable or not, so
the refusal threshold is fitted for each kind of text, and a classifier of the kind of text
(``app.gate.text_kind``) is fitted first on the training articles' paragraphs.

Writes ``app/reader/calibration.toml`` and ``app/reader/weights/text_kind.npz`` and prints
held-out figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.gate.calibration import CALIBRATION_FILE, RefusalModel
from app.gate.evidence import Evidence, RerankWeights
from app.gate.features import FEATURES, features
from app.gate.text_kind import TEXT_KIND_FILE, TextKindModel
from app.reader.reading import Reading
from evals.suite.metrics.squad import contains_gold
from evals.training.data import Article, Paragraph, training_split
from evals.training.train import training_examples
from retriever.passage import Passage

LEFT_OUT_SHARE = 0.3
ARTICLE_LEFT_OUT_SHARE = 0.15
COLLECTIONS = ("tweetqa", "subjqa", "molweni", "qamr")
"""Sources whose articles are collections of unrelated short documents."""
INFORMAL = ("tweetqa", "subjqa", "molweni", "friendsqa")
"""Sources of informal text (posts, reviews, chat, dialogue); the others are edited prose."""
KIND_PARAGRAPHS = 3000
"""Training paragraphs per source that the text-kind classifier is fitted on, at most."""
GROUP = 20
DOCUMENTS_PER_COLLECTION = 8
PER_SOURCE = 400
"""Most questions asked of each source, so Wikipedia's thousands do not drown the others."""
PER_SOURCE_EXCEPTIONS = {"squad20_dev_extra": 1400}
"""Sources asked in full: the held-out articles with crowd-written unanswerable questions, the
only questions like the ones the refusal model must catch (near the answer, with none)."""
FALSE_REFUSAL_TARGET = 0.08
"""Share of answerable held-out questions refused at the chosen threshold, averaged over the
sources of each kind of text (the product target is at most 10% on questions we have never
seen; the margin allows for a shift)."""
LLM_FALSE_REFUSAL_TARGET = 0.02
"""Share of answerable held-out questions under the LLM floor: the band between floor and
threshold holds the questions the reader is unsure of, which an LLM reads and judges."""
DENSE_GRID = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
RANK_GRID = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
VERDICT_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)


class Unanswerable(StrEnum):
    """Why the index cannot answer a held-out question: the kinds refuse at very different
    rates, so each is reported on its own."""

    WRITTEN = "written"
    """Written to have no answer in a paragraph that is indexed (SQuAD 2.0's crowd-written)."""
    WRITTEN_UNINDEXED = "written, paragraph left out"
    PARAGRAPH_LEFT_OUT = "paragraph left out"
    ARTICLE_LEFT_OUT = "article left out"


@dataclass
class Observation:
    """One held-out question as the pipeline saw it."""

    question: str
    source: str
    answerable: bool
    unanswerable: Unanswerable | None
    informality: float
    passages: list[dict[str, Any]]
    readings: list[dict[str, Any] | None]
    holds_answer: list[bool]

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> Observation:
        why = saved["unanswerable"]
        return cls(**{**saved, "unanswerable": Unanswerable(why) if why else None})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=4000, help="Held-out questions to ask.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("build/calibration-observations.json"))
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    parser.add_argument("--text-kind", type=Path, default=TEXT_KIND_FILE)
    args = parser.parse_args(argv)
    if args.cache.exists():
        observations = _cached(args.cache)
        kind_figures: dict[str, Any] = {}
    else:
        train_articles, heldout = training_split()
        text_kind, kind_figures = fit_text_kind(train_articles, heldout, args.seed)
        text_kind.save(args.text_kind)
        observations = observe(train_articles, heldout, text_kind, args.questions, args.seed,
                               args.top_k)  # fmt: skip
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_text(json.dumps([asdict(o) for o in observations]))
    rerank, hit1 = fit_rerank(observations)
    refusal, figures = fit_refusal(observations, rerank)
    write_calibration(args.out, rerank, refusal)
    baselines = {
        **kind_figures,
        "hit@1_retriever_order": top_holds_answer(observations, RerankWeights(0.0, 1e6, 0.0)),
        "hit@1_reader_alone": top_holds_answer(observations, RerankWeights(0.0, 0.0, 0.0)),
        "hit@1_combined": hit1,
    }
    print(json.dumps({**baselines, "rerank": asdict(rerank), **figures}, indent=1))
    return 0


def _cached(path: Path) -> list[Observation]:
    """Observations saved by an earlier run; an error naming the file if they are of another
    version of this script."""
    try:
        return [Observation.from_json(o) for o in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError, KeyError) as exc:
        raise SystemExit(
            f"{path} holds observations this version cannot read ({exc}): delete it, or name "
            "another file with --cache, to read the held-out questions again"
        ) from None


def _left_out(key: str, share: float = LEFT_OUT_SHARE, salt: str = "left-out") -> bool:
    digest = hashlib.sha256(f"{salt}/{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass(frozen=True)
class Asked:
    """A question to ask of the index, and why it has no answer there (None: it has one)."""

    question: str
    source: str
    unanswerable: Unanswerable | None
    golds: list[str]


def fit_text_kind(
    train_articles: list[Article], heldout: list[Article], seed: int
) -> tuple[TextKindModel, dict[str, float]]:
    """The text-kind classifier, fitted on paragraphs of the training articles (at most
    KIND_PARAGRAPHS per source), and its accuracy on the held-out articles' paragraphs."""

    def sample(articles: list[Article]) -> tuple[list[str], list[bool]]:
        by_source: dict[str, list[str]] = {}
        for article in articles:
            by_source.setdefault(article.source, []).extend(p.context for p in article.paragraphs)
        rng = random.Random(seed)
        texts, informal = [], []
        for source in sorted(by_source):
            chosen = rng.sample(by_source[source], min(KIND_PARAGRAPHS, len(by_source[source])))
            texts += chosen
            informal += [source in INFORMAL] * len(chosen)
        return texts, informal

    model = TextKindModel.fit(*sample(train_articles))
    texts, informal = sample(heldout)
    right = [(p >= 0.5) == y for p, y in zip(model.probabilities(texts), informal, strict=True)]
    return model, {"text_kind_heldout_accuracy": round(sum(right) / max(1, len(right)), 4)}


def corpus_and_questions(
    articles: list[Article], limit: int, seed: int
) -> tuple[dict[str, str], list[Asked]]:
    """The indexed text of each article (title -> text) and the questions to ask."""
    texts: dict[str, str] = {}
    asked: dict[str, list[Asked]] = {}
    for article in articles:
        whole = len(article.paragraphs) == 1
        article_left_out = not whole and _left_out(
            article.key, ARTICLE_LEFT_OUT_SHARE, "article-left-out"
        )
        kept = [
            p for i, p in enumerate(article.paragraphs)
            if not _left_out(article.key if whole else f"{article.key}#{i}")
        ]  # fmt: skip
        if article_left_out:
            kept = []
        text = "\n\n".join(p.context.strip() for p in kept)
        if text:
            texts[f"{article.source}-{article.title}"[:120]] = text
        absent = (
            Unanswerable.ARTICLE_LEFT_OUT if article_left_out else Unanswerable.PARAGRAPH_LEFT_OUT
        )
        for paragraph in article.paragraphs:
            indexed = paragraph in kept
            for qa in paragraph.qas:
                golds = [a["text"] for a in qa.get("answers", []) if a["text"].strip()]
                of_source = asked.setdefault(article.source, [])
                question = qa["question"]
                if qa.get("is_impossible") or not golds:
                    why = Unanswerable.WRITTEN if indexed else Unanswerable.WRITTEN_UNINDEXED
                    of_source.append(Asked(question, article.source, why, []))
                elif indexed:
                    of_source.append(Asked(question, article.source, None, golds))
                elif not contains_gold(text, golds):
                    of_source.append(Asked(question, article.source, absent, []))
    rng = random.Random(seed)
    chosen = []
    for source in sorted(asked):
        rng.shuffle(asked[source])
        chosen += asked[source][: PER_SOURCE_EXCEPTIONS.get(source, PER_SOURCE)]
    rng.shuffle(chosen)
    return texts, chosen[:limit]


def unseen_collection_documents(train_articles: list[Article]) -> list[Article]:
    """Paragraphs of the collection sources that training never read, as documents of
    ``GROUP`` paragraphs each (at most ``DOCUMENTS_PER_COLLECTION`` per article)."""
    read = {e.context for e in training_examples(train_articles)}
    documents = []
    for article in train_articles:
        if article.source not in COLLECTIONS:
            continue
        unseen = [p for p in article.paragraphs if p.context not in read]
        for first in range(0, min(len(unseen), GROUP * DOCUMENTS_PER_COLLECTION), GROUP):
            documents.append(
                Article(
                    article.source,
                    f"{article.title}-{first // GROUP}",
                    [Paragraph(p.context, p.qas) for p in unseen[first : first + GROUP]],
                )
            )
    return documents


def observe(
    train_articles: list[Article],
    heldout: list[Article],
    text_kind: TextKindModel,
    limit: int,
    seed: int,
    top_k: int,
) -> list[Observation]:
    """Ingest the held-out articles and read each question's retrieved passages."""
    from app.composition import Components
    from app.reader.reading import read
    from ingest.settings import load_settings
    from ingest.sync import sync_paths

    texts, asked = corpus_and_questions(
        heldout + unseen_collection_documents(train_articles), limit, seed
    )
    observations = []
    with tempfile.TemporaryDirectory(prefix="citewise-calibrate-") as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        for title, text in texts.items():
            (folder / f"{title.replace('/', '_')}.txt").write_text(text, encoding="utf-8")
        settings = load_settings().model_copy(
            update={"store_dir": Path(tmp) / "index", "chroma_url": None}
        )
        parts = Components(settings)
        sync_paths([folder], settings, store=parts.store, embedder=parts.embedder)
        retriever = parts.retriever
        tokenizer, model = parts.models.reader()
        for i, question in enumerate(asked):
            passages = retriever.search(question.question, k=top_k)
            passage_texts = [p.text for p in passages]
            readings = read(tokenizer, model, question.question, passage_texts)
            golds = question.golds
            observations.append(
                Observation(
                    question=question.question,
                    source=question.source,
                    answerable=question.unanswerable is None,
                    unanswerable=question.unanswerable,
                    informality=text_kind.informality(passage_texts),
                    passages=[_passage_json(p) for p in passages],
                    readings=[asdict(r) if r else None for r in readings],
                    holds_answer=[bool(golds) and contains_gold(p.text, golds) for p in passages],
                )
            )
            if (i + 1) % 200 == 0:
                print(f"{i + 1}/{len(asked)} questions read", file=sys.stderr, flush=True)
    return observations


def _passage_json(p: Passage) -> dict[str, Any]:
    return {
        "dense_score": p.dense_score,
        "lexical_score": p.lexical_score,
        "similarity": p.similarity,
        "text": p.text,
    }


def _evidence(o: Observation, weights: RerankWeights) -> Evidence:
    passages = [
        Passage(
            doc_id=str(i), title="", source="", text=p["text"], start=0, end=0, heading_path=(),
            page=None, fused_score=0.0, dense_score=p["dense_score"],
            lexical_score=p["lexical_score"], similarity=p["similarity"],
        )
        for i, p in enumerate(o.passages)
    ]  # fmt: skip
    readings = [Reading(**r) if r else None for r in o.readings]
    return Evidence.build(o.question, o.question, passages, readings, weights)


def top_holds_answer(observations: list[Observation], weights: RerankWeights) -> float:
    """Share of answerable questions (with the answer retrieved) whose top passage holds it."""
    useful = [o for o in observations if o.answerable and any(o.holds_answer)]
    hits = sum(o.holds_answer[int(_evidence(o, weights).read[0].passage.doc_id)] for o in useful)
    return round(hits / max(1, len(useful)), 4)


def fit_rerank(observations: list[Observation]) -> tuple[RerankWeights, float]:
    """The weights that put a passage holding the answer first most often (the smallest
    weights among equals)."""
    grid = [
        RerankWeights(dense, rank, verdict)
        for dense in DENSE_GRID
        for rank in RANK_GRID
        for verdict in VERDICT_GRID
    ]
    scored = [(top_holds_answer(observations, weights), weights) for weights in grid]
    best = max(score for score, _ in scored)
    return next(w for score, w in scored if score == best), best


def fit_refusal(
    observations: list[Observation], rerank: RerankWeights
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A logistic regression on the refusal features, and for each kind of text the
    threshold meeting the target on the answerable questions of that kind. At answer time
    the threshold moves between the two with how informal the passages read."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array(
        [[features(_evidence(o, rerank))[name] for name in FEATURES] for o in observations]
    )
    y = np.array([o.answerable for o in observations])
    informal = np.array([o.source in INFORMAL for o in observations])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    probability = model.predict_proba(x)[:, 1]
    sources = np.array([o.source for o in observations])
    reasons = np.array([o.unanswerable for o in observations], dtype=object)
    kinds = (("edited", False), ("informal", True))

    def thresholds_at(share: float) -> dict[str, float]:
        return {
            kind: source_balanced_threshold(
                probability[y & (informal == is_informal)],
                sources[y & (informal == is_informal)],
                share,
            )
            for kind, is_informal in kinds
        }

    thresholds = thresholds_at(FALSE_REFUSAL_TARGET)
    floors = thresholds_at(LLM_FALSE_REFUSAL_TARGET)
    fitted = RefusalModel(
        weights=dict(zip(FEATURES, (float(w) for w in model.coef_[0]), strict=True)),
        bias=float(model.intercept_[0]),
        threshold_edited=thresholds["edited"],
        threshold_informal=thresholds["informal"],
        llm_floor_edited=floors["edited"],
        llm_floor_informal=floors["informal"],
    )
    refused = probability < np.array([fitted.threshold(o.informality) for o in observations])
    figures: dict[str, Any] = {"questions": len(observations), "answerable": int(y.sum())}
    for kind, rows in (
        ("all", informal | ~informal),
        ("edited", ~informal),
        ("informal", informal),
    ):
        figures[kind] = {
            "false_refusal_rate": round(float(refused[y & rows].mean()), 4),
            "refusal_rate_unanswerable": round(float(refused[~y & rows].mean()), 4),
        }
    figures["refused_by_why_unanswerable"] = {
        why.value: round(float(refused[reasons == why].mean()), 4)
        for why in Unanswerable
        if (reasons == why).any()
    }
    figures["thresholds"] = {kind: round(t, 4) for kind, t in thresholds.items()}
    figures["llm_floors"] = {kind: round(t, 4) for kind, t in floors.items()}
    return asdict(fitted), figures


def source_balanced_threshold(probability: Any, sources: Any, share: float) -> float:
    """The highest threshold at which answerable questions are refused at ``share`` on average
    over their sources, each source counting alike: one source of odd questions (QAMR's
    one-sentence role questions are 40% of the edited prose held out) does not set the
    threshold for all prose, nor does the source with the most questions."""
    import numpy as np

    names = sorted(set(sources))
    for candidate in np.sort(probability)[::-1]:
        refused = [float(np.mean(probability[sources == n] < candidate)) for n in names]
        if np.mean(refused) <= share:
            return float(candidate)
    return 0.0


def write_calibration(path: Path, rerank: RerankWeights, refusal: dict[str, Any]) -> None:
    weights = "\n".join(f"{name} = {value!r}" for name, value in refusal["weights"].items())
    path.write_text(
        "# Fitted on held-out training articles by python -m evals.training.calibrate\n"
        f"[rerank]\ndense = {rerank.dense!r}\nrank = {rerank.rank!r}\n"
        f"verdict = {rerank.verdict!r}\n\n"
        f"[refusal]\nbias = {refusal['bias']!r}\n"
        f"threshold_edited = {refusal['threshold_edited']!r}\n"
        f"threshold_informal = {refusal['threshold_informal']!r}\n"
        f"llm_floor_edited = {refusal['llm_floor_edited']!r}\n"
        f"llm_floor_informal = {refusal['llm_floor_informal']!r}\n\n"
        f"[refusal.weights]\n{weights}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
