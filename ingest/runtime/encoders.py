"""The two ways citewise runs a sentence encoder: sentence-transformers on torch, or an ONNX
export of the same weights on ONNX Runtime. Both tokenize, mean-pool and normalise alike, so
they differ only in the arithmetic (see ``EmbeddingRuntime``)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from ingest.errors import EmbeddingModelError
from ingest.runtime.cpu import native_bf16
from ingest.runtime.exports import INPUTS, Precision, exported_model
from ingest.runtime.sessions import cpu_session


class SentenceEncoder(Protocol):
    """Normalised embeddings of texts, cut at ``max_tokens`` tokens."""

    max_tokens: int

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """One unit-length row per text; ``threads`` caps the threads for this call."""
        ...

    def windows(self, texts: Sequence[str]) -> list[list[Window]]:
        """Each text in pieces of at most ``max_tokens`` tokens (one piece, the text itself,
        when it fits), so that no part of a text goes unembedded."""
        ...


class Window(NamedTuple):
    """A piece of a text that the encoder reads whole, and its number of tokens."""

    text: str
    tokens: int


def split_at_words(text: str, offsets: Sequence[tuple[int, int]], room: int) -> list[Window]:
    """``text`` cut into pieces of at most ``room`` tokens (``offsets``: each token's span,
    special tokens left out), each cut before a token that starts a word, so no word is
    split between two pieces. A text that fits is one piece, itself, so its vector is the one
    it always had."""
    if len(offsets) <= room:
        return [Window(text, len(offsets))]
    pieces: list[Window] = []
    first = 0
    while first < len(offsets):
        last = min(first + room, len(offsets))
        cut = last
        while first + 1 < cut < len(offsets) and offsets[cut][0] == offsets[cut - 1][1]:
            cut -= 1
        if cut > first + 1:
            last = cut
        end = offsets[last][0] if last < len(offsets) else len(text)
        pieces.append(Window(text[offsets[first][0] : end], last - first))
        first = last
    return pieces


@contextlib.contextmanager
def _torch_threads(limit: int | None) -> Iterator[None]:
    """At most ``limit`` intra-op threads for torch calls made by this thread in the block.

    Torch keeps the count per thread once a thread has used it, so a batch embedding in
    another thread (an upload in the web UI) keeps all its threads meanwhile.
    """
    import torch

    before = torch.get_num_threads()
    if limit is None or before <= limit:
        yield
        return
    torch.set_num_threads(limit)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchEncoder:
    """sentence-transformers on torch, in bfloat16 where the CPU computes it natively."""

    def __init__(self, model_dir: str, batch_size: int) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        self._batch_size = batch_size
        try:
            self._model = SentenceTransformer(model_dir, device="cpu")
        except Exception as exc:
            raise EmbeddingModelError(
                f"Cannot load embedding model {model_dir!r}: {exc}",
                "set CITEWISE_EMBEDDING_MODEL to an installed model or a local folder",
            ) from None
        self.max_tokens: int = self._model.max_seq_length or self._model.tokenizer.model_max_length

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        import torch

        with (
            _torch_threads(threads),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bf16()),
        ):
            vectors: np.ndarray = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    def windows(self, texts: Sequence[str]) -> list[list[Window]]:
        tokenizer = self._model.tokenizer
        room = self.max_tokens - tokenizer.num_special_tokens_to_add()
        found = tokenizer(
            list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return [
            split_at_words(text, offsets, room)
            for text, offsets in zip(texts, found["offset_mapping"], strict=True)
        ]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EmbeddingModelError(f"Cannot read {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _check_mean_pooling(model_dir: Path) -> None:
    """The ONNX encoder pools like all-MiniLM-L6-v2 (mean of the token states); a model
    that pools otherwise would get wrong vectors from it, so it is refused."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    pooling = next((m for m in modules if m.get("type", "").endswith("Pooling")), None)
    config = _read_json(model_dir / pooling["path"] / "config.json") if pooling else {}
    modes = {k for k, v in config.items() if k.startswith("pooling_mode") and v is True}
    if modes != {"pooling_mode_mean_tokens"}:
        raise EmbeddingModelError(
            f"The ONNX runtime embeds with mean pooling only; {model_dir} pools with "
            f"{sorted(modes) or 'no known mode'}",
            "set CITEWISE_EMBEDDING_RUNTIME=torch for this model",
        )


class OnnxEncoder:
    """An ONNX export of a mean-pooling sentence-transformers model on ONNX Runtime, with
    the model's own tokenizer (``tokenizer.json``, the `tokenizers` library): no torch once
    the export is made.

    Batches run on ``threads`` threads; a call that asks for fewer (a query) runs on a
    session of its own, since a session's thread count is fixed. Each session starts on its
    first call, so a process that only asks questions starts one.
    """

    def __init__(
        self,
        model_dir: str,
        precision: Precision,
        batch_size: int,
        threads: int | None,
        cache_dir: Path | None,
    ) -> None:
        from tokenizers import Tokenizer

        folder = Path(model_dir)
        if not folder.is_dir():
            raise EmbeddingModelError(
                f"Cannot load embedding model {model_dir!r}: the ONNX runtimes read a local "
                "model folder, and there is none of that name",
                "set CITEWISE_EMBEDDING_MODEL to an installed model or a local folder, or "
                "CITEWISE_EMBEDDING_RUNTIME=torch to load a model by its Hugging Face name",
            )
        if not (folder / "modules.json").is_file() or not (folder / "tokenizer.json").is_file():
            raise EmbeddingModelError(
                f"The ONNX runtimes need a sentence-transformers folder with a tokenizer.json; "
                f"{model_dir!r} is not one",
                "set CITEWISE_EMBEDDING_RUNTIME=torch for this model",
            )
        _check_mean_pooling(folder)
        self.max_tokens = int(_read_json(folder / "sentence_bert_config.json")["max_seq_length"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.no_padding()
        self._splitter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._splitter.no_truncation()
        self._splitter.no_padding()
        self._batch_size = batch_size
        self._threads = threads
        self._model = exported_model(folder, precision, cache_dir)
        self._sessions: dict[int | None, Any] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int | None) -> Any:
        wanted = self._threads if threads is None else threads
        if wanted is not None and self._threads is not None:
            wanted = min(wanted, self._threads)
        with self._lock:
            session = self._sessions.get(wanted)
            if session is None:
                session = self._sessions[wanted] = cpu_session(self._model, wanted)
        return session

    def windows(self, texts: Sequence[str]) -> list[list[Window]]:
        room = self.max_tokens - self._splitter.num_special_tokens_to_add(False)
        found = self._splitter.encode_batch(list(texts), add_special_tokens=False)
        return [
            split_at_words(text, encoding.offsets, room)
            for text, encoding in zip(texts, found, strict=True)
        ]

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        session = self._session(threads)
        parts = [
            self._encode_batch(session, texts[begin : begin + self._batch_size])
            for begin in range(0, len(texts), self._batch_size)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def _encode_batch(self, session: Any, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        arrays = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            arrays["input_ids"][row, :size] = encoding.ids
            arrays["attention_mask"][row, :size] = encoding.attention_mask
            arrays["token_type_ids"][row, :size] = encoding.type_ids
        (states,) = session.run(None, arrays)
        mask = arrays["attention_mask"][..., None].astype(np.float32)
        pooled = (states * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
