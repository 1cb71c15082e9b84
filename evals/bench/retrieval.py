"""Retrieval benchmark: citewise hybrid search against the LangChain recipe and plain BM25.

    python -m evals.bench.retrieval [--sample 400] [--squad PATH] [--no-insis] [--torch-threads N]

The SQuAD slice is ingested (each article one document) into a temporary index with
``sync_paths``; the recipe (RecursiveCharacterTextSplitter 1000/200, the same MiniLM model,
langchain-chroma ``similarity_search``) and BM25 over the recipe's chunks see the same
articles. A hit at k: one of the first k passages contains a gold answer string. Latency is
per warm query. The INSIS corpus is scored too, with the evaluation dataset's evidence quotes
as gold, when that dataset exists.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.composition import Models
from evals.suite.metrics.latency import percentile
from evals.suite.squad_data import DEFAULT_SQUAD, read_squad, sample, write_articles
from ingest.embedder import QUERY_THREADS
from ingest.protocols import QueryEmbedder
from ingest.settings import Settings, load_settings
from ingest.store import ChunkStore

ROOT = Path(__file__).resolve().parents[2]
INSIS_CORPUS = ROOT / "corpus"
INSIS_DATASET = ROOT / "evals" / "datasets" / "insis.jsonl"
DEPTH = 10
WARMUP = 5

Search = Callable[[str], list[str]]


@dataclass(frozen=True)
class Case:
    question: str
    gold: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    name: str
    hits: dict[int, float]
    mrr: float
    p50_ms: float
    p95_ms: float
    longest: int


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def first_hit(passages: Sequence[str], gold: Sequence[str]) -> int | None:
    """1-based rank of the first passage containing a gold string (spacing ignored)."""
    wanted = [squeeze(g) for g in gold]
    for rank, text in enumerate(passages, start=1):
        flat = squeeze(text)
        if any(g in flat for g in wanted):
            return rank
    return None


def score(name: str, search: Search, cases: Sequence[Case]) -> Row:
    for case in cases[:WARMUP]:
        search(case.question)
    ranks, times, longest = [], [], 0
    for case in cases:
        began = time.perf_counter()
        passages = search(case.question)
        times.append((time.perf_counter() - began) * 1000)
        ranks.append(first_hit(passages[:DEPTH], case.gold))
        longest = max([longest, *(len(p) for p in passages)])
    hits = {k: sum(1 for r in ranks if r is not None and r <= k) / len(cases) for k in (1, 5, 10)}
    mrr = sum(1 / r for r in ranks if r is not None) / len(cases)
    return Row(name, hits, mrr, percentile(times, 50), percentile(times, 95), longest)


class TimedEmbedder:
    """The project's embedder, recording how long each query embedding takes."""

    def __init__(self, embedder: QueryEmbedder) -> None:
        self.embedder = embedder
        self.times: list[float] = []

    def embed_query(self, text: str) -> list[float]:
        began = time.perf_counter()
        vector: list[float] = self.embedder.embed_query(text)
        self.times.append((time.perf_counter() - began) * 1000)
        return vector


def citewise_search(store: ChunkStore, embedder: TimedEmbedder) -> Search:
    from retriever.hybrid import HybridRetriever

    retriever = HybridRetriever(store, embedder, store.settings)
    return lambda q: [p.text for p in retriever.search(q, k=DEPTH)]


def recipe_chunks(texts: dict[str, str]) -> list[tuple[str, str]]:
    """(title, chunk) pairs as RecursiveCharacterTextSplitter(1000, 200) cuts them."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    return [(title, chunk) for title, text in texts.items() for chunk in splitter.split_text(text)]


def recipe_search(
    chunks: list[tuple[str, str]], settings: Settings, folder: Path, models: Models
) -> Search:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    embedder = models.embedder(settings)

    class MiniLM(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text)

    docs = [Document(page_content=text, metadata={"title": title}) for title, text in chunks]
    store = Chroma.from_documents(docs, MiniLM(), persist_directory=str(folder / "recipe"))
    return lambda q: [d.page_content for d in store.similarity_search(q, k=DEPTH)]


def bm25_search(chunks: list[tuple[str, str]]) -> Search:
    import bm25s

    texts = [text for _, text in chunks]
    index = bm25s.BM25()
    index.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def search(question: str) -> list[str]:
        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False)
        found, _ = index.retrieve(tokens, k=min(DEPTH, len(texts)), show_progress=False)
        return [texts[i] for i in found[0]]

    return search


def compare(
    title: str,
    texts: dict[str, str],
    cases: list[Case],
    settings: Settings,
    tmp: Path,
    models: Models,
) -> None:
    chunks = recipe_chunks(texts)
    print(f"\n{title}: {len(cases)} questions, {len(texts)} documents, {len(chunks)} recipe chunks")
    store = ChunkStore.open(settings)
    embedder = TimedEmbedder(models.embedder(store.settings))
    rows = [
        score("citewise hybrid", citewise_search(store, embedder), cases),
        score("LangChain recipe", recipe_search(chunks, settings, tmp, models), cases),
        score("BM25 on recipe chunks", bm25_search(chunks), cases),
    ]
    heads = ("hit@1", "hit@5", "hit@10", "MRR", "p50 ms", "p95 ms", "max chars")
    print(f"{'retriever':<24}" + "".join(f"{h:>10}" for h in heads))
    for r in rows:
        print(
            f"{r.name:<24}{r.hits[1]:>10.3f}{r.hits[5]:>10.3f}{r.hits[10]:>10.3f}{r.mrr:>10.3f}"
            f"{r.p50_ms:>10.1f}{r.p95_ms:>10.1f}{r.longest:>10}"
        )
    spent = embedder.times[WARMUP:]
    print(
        f"citewise latency includes the query embedding: p50 {percentile(spent, 50):.1f} ms, "
        f"p95 {percentile(spent, 95):.1f} ms ({store.settings.embedding_runtime} runtime, query "
        f"threads {QUERY_THREADS}, "
        f"load average {os.getloadavg()[0]:.1f})"
    )


def squad(path: Path, n: int, tmp: Path, models: Models) -> None:
    from ingest.sync import sync_paths

    articles, questions = read_squad(path)
    chosen = sample([q for q in questions if q.answerable], n, seed=0)
    folder = tmp / "squad"
    write_articles(articles, folder)
    settings = load_settings(store_dir=tmp / "squad-index")
    report = sync_paths([folder], settings, embedder=models.embedder(settings))
    if report.failed:
        raise SystemExit(f"ingest failed: {report.failed}")
    cases = [Case(q.question, q.answers) for q in chosen]
    compare(
        "SQuAD slice",
        {a.title: a.text for a in articles},
        cases,
        settings,
        tmp / "squad-recipe",
        models,
    )


def insis(tmp: Path, models: Models) -> None:
    from evals.suite.dataset import load_dataset
    from ingest.sync import sync_paths

    if not INSIS_DATASET.is_file():
        print(f"\nINSIS: skipped, no dataset at {INSIS_DATASET}")
        return
    items = [
        i
        for i in load_dataset(INSIS_DATASET)
        if i.answerable and i.evidence and not i.earlier_turns
    ]
    settings = load_settings(store_dir=tmp / "insis-index")
    sync_paths([INSIS_CORPUS], settings, embedder=models.embedder(settings))
    texts = _document_texts(settings)
    cases = [Case(i.question, i.evidence) for i in items]
    compare("INSIS corpus", texts, cases, settings, tmp / "insis-recipe", models)


def _document_texts(settings: Settings) -> dict[str, str]:
    store = ChunkStore.open(settings)
    texts: dict[str, str] = {}
    for record in store.documents():
        full = store.document(record.doc_id)
        texts[record.doc_id] = full.text if full else ""
    return texts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sample", type=int, default=400, help="answerable SQuAD questions (seed 0)"
    )
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--no-insis", action="store_true", help="skip the INSIS corpus")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch intra-op threads for ingestion (default: torch's); queries use "
        "ingest.embedder.QUERY_THREADS",
    )
    args = parser.parse_args(argv)
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    with tempfile.TemporaryDirectory(prefix="citewise-bench-") as name:
        tmp = Path(name)
        models = Models()
        squad(args.squad, args.sample, tmp, models)
        if not args.no_insis:
            insis(tmp, models)


if __name__ == "__main__":
    main()
