"""Ingestion speed: citewise against the canonical LangChain recipe on the same SQuAD articles.

Both sides start with the embedding model loaded (loading is not ingestion) and write to a
fresh Chroma folder. Each side runs ``--rounds`` times alternately and the best round counts,
because the machine is shared. Beside them, the raw encoders over citewise's chunk texts: the
citewise runtime's and sentence-transformers' on torch (the recipe's): the most each ingest
could reach. Then the no-op re-ingest (nothing changed) of the SQuAD folder and of corpus/ is
timed in-process and as a full ``citewise ingest`` command. The CPU's flags head the figures;
the chunks longer than the encoder reads at once (embedded in pieces) end them.

    python -m evals.bench.ingest [--squad PATH] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.composition import Models
from evals.suite.squad_data import DEFAULT_SQUAD, read_squad, write_articles
from ingest.embedder import Embedder, resolve_model
from ingest.parse_worker import ParseWorker
from ingest.runtime.cpu import cpu_flags
from ingest.settings import Settings, load_settings
from ingest.store import ChunkStore
from ingest.sync import embedding_text, sync_paths

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _langchain_embeddings(model_path: str) -> Embeddings:
    """HuggingFaceEmbeddings as the recipe has it (langchain-huggingface, if installed)."""
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError:
        from langchain_core.embeddings import Embeddings
        from sentence_transformers import SentenceTransformer

        class HuggingFaceEmbeddings(Embeddings):  # type: ignore[no-redef]
            """The same calls langchain-huggingface makes: one encode over all texts."""

            def __init__(self, model_name: str, model_kwargs: dict[str, Any]) -> None:
                self.client = SentenceTransformer(model_name, **model_kwargs)

            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return self.client.encode(texts, show_progress_bar=False).tolist()

            def embed_query(self, text: str) -> list[float]:
                return self.embed_documents([text])[0]

    return HuggingFaceEmbeddings(model_name=model_path, model_kwargs={"device": "cpu"})


Timing = tuple[float, float, int]
"""Wall seconds, CPU seconds of this process, chunks."""


def run_recipe(folder: Path, store: Path, embeddings: Embeddings) -> Timing:
    """TextLoader -> RecursiveCharacterTextSplitter(1000, 200) -> Chroma.from_documents."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started, cpu = time.perf_counter(), time.process_time()
    docs = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
        for p in sorted(folder.iterdir())
    ]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    Chroma.from_documents(splits, embeddings, persist_directory=str(store))
    return time.perf_counter() - started, time.process_time() - cpu, len(splits)


def run_citewise(folder: Path, store: Path, models: Models, parser: ParseWorker) -> Timing:
    settings = load_settings(store_dir=store)
    embedder = models.embedder(settings)
    started, cpu = time.perf_counter(), time.process_time()
    report = sync_paths([folder], settings, embedder=embedder, parser=parser)
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    assert not report.failed, report.failed
    return *elapsed, report.chunks


def raw_encoders(
    settings: Settings,
    models: Models,
    texts: list[str],
    embeddings: Any,
) -> dict[str, Timing]:
    """The citewise runtime's encoder, then the recipe's (sentence-transformers on torch),
    over the same texts: embedding alone, no chunking and no index."""
    timings: dict[str, Timing] = {}
    embedder = models.embedder(settings)
    for name, encode in (
        (f"{embedder.runtime} encoder", embedder.embed_documents),
        ("torch encoder", embeddings.embed_documents),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        encode(texts)
        timings[name] = time.perf_counter() - started, time.process_time() - cpu, len(texts)
    return timings


def past_limit(embedder: Embedder, texts: list[str]) -> tuple[int, float]:
    """Chunks the embedder cuts into pieces, and the share of all characters past their first
    piece: text the dense index would not see if each chunk were embedded in one piece."""
    windows = embedder.windows(texts)
    cut = sum(len(pieces) > 1 for pieces in windows)
    past = sum(len(piece.text) for pieces in windows for piece in pieces[1:])
    return cut, past / max(1, sum(map(len, texts)))


def timed_noop(
    folder: Path, store: Path, models: Models, parser: ParseWorker
) -> tuple[float, float]:
    """Seconds of a no-op re-ingest, in-process and as a fresh ``citewise ingest`` command."""
    settings = load_settings(store_dir=store)
    embedder = models.embedder(settings)
    sync_paths([folder], settings, embedder=embedder, parser=parser)
    started = time.perf_counter()
    report = sync_paths([folder], settings, embedder=embedder, parser=parser)
    in_process = time.perf_counter() - started
    assert report.chunks == 0 and not report.failed
    command = [str(Path(sys.executable).with_name("citewise")), "ingest", str(folder), "-q"]
    started = time.perf_counter()
    subprocess.run([*command, "--store", str(store)], check=True, capture_output=True)
    return in_process, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"

    models = Models()
    with (
        tempfile.TemporaryDirectory(prefix="citewise-bench-") as tmp,
        contextlib.closing(ParseWorker()) as worker,
    ):
        work = Path(tmp)
        articles, _ = read_squad(args.squad)
        folder = work / "squad"
        write_articles(articles, folder)
        kb = sum(p.stat().st_size for p in folder.iterdir()) / 1000

        settings = load_settings(store_dir=work / "unused")
        models.embedder(settings).embed_query("warm up")
        embeddings = _langchain_embeddings(resolve_model(settings.embedding_model))
        embeddings.embed_query("warm up")

        best: dict[str, Timing] = {}
        for round_ in range(args.rounds):
            for name, run in (
                ("citewise", lambda s: run_citewise(folder, s, models, worker)),
                ("langchain", lambda s: run_recipe(folder, s, embeddings)),
            ):
                timing = run(work / f"{name}-{round_}")
                if name not in best or timing[0] < best[name][0]:
                    best[name] = timing
            built = ChunkStore.open(load_settings(store_dir=work / "citewise-0"))
            texts = [embedding_text(c) for c in built.all_chunks()]
            for name, timing in raw_encoders(settings, models, texts, embeddings).items():
                if name not in best or timing[0] < best[name][0]:
                    best[name] = timing

        print(f"CPU: {cpu_flags().describe()}; load average {os.getloadavg()[0]:.1f}")
        print(f"SQuAD slice: {len(articles)} articles, {kb:.0f} KB of text, best of {args.rounds}")
        for name, (wall, cpu, chunks) in best.items():
            print(
                f"  {name:22s} {kb / wall:6.1f} KB/s  {wall:6.1f} s wall  {cpu:6.1f} s CPU  "
                f"{chunks:4d} chunks"
            )
        wall_ratio = best["langchain"][0] / best["citewise"][0]
        cpu_ratio = best["langchain"][1] / best["citewise"][1]
        print(f"  citewise / recipe throughput: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU")
        embedder = models.embedder(settings)
        limit = embedder.max_tokens
        cut, share = past_limit(embedder, texts)
        print(
            f"Longer than the encoder's {limit} tokens: {cut} of {len(texts)} chunks, with "
            f"{share:.2%} of their text past it; each is embedded in pieces"
        )
        for label, source, store in (
            ("SQuAD folder", folder, work / "citewise-0"),
            ("corpus/", CORPUS, work / "corpus"),
        ):
            in_process, command = timed_noop(source, store, models, worker)
            print(
                f"No-op re-ingest of {label}: {in_process:.2f} s in-process, "
                f"{command:.2f} s as 'citewise ingest' (incl. Python start-up)"
            )


if __name__ == "__main__":
    main()
