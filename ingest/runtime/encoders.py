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
from ingest.runtime.exports import Precision, exported_model
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


def onnx_unsupported(model_dir: str) -> str | None:
    """Why the ONNX runtimes cannot run the model in ``model_dir``, or None when they can:
    they read a local sentence-transformers folder with a ``tokenizer.json``, and pool like
    all-MiniLM-L6-v2 (the mean of the token states), so a model that pools otherwise would
    get wrong vectors from them."""
    folder = Path(model_dir)
    if not folder.is_dir():
        return "they read a local model folder, and there is none of that name"
    if not (folder / "modules.json").is_file() or not (folder / "tokenizer.json").is_file():
        return "they need a sentence-transformers folder with a tokenizer.json"
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"its modules.json cannot be read ({exc})"
    pooling = next((m for m in modules if m.get("type", "").endswith("Pooling")), None)
    config = _read_json(folder / pooling["path"] / "config.json") if pooling else {}
    modes = {k for k, v in config.items() if k.startswith("pooling_mode") and v is True}
    if modes != {"pooling_mode_mean_tokens"}:
        pooled = sorted(modes) or "no known mode"
        return f"they embed with mean pooling only, and it pools with {pooled}"
    return None


class OnnxEncoder:
    """An ONNX export of a mean-pooling sentence-transformers model on ONNX Runtime, with
    the model's own tokenizer (``tokenizer.json``, the `tokenizers` library): no torch once
    the export is made.

    Each text is run alone, unpadded: on 2 cores that embeds 1.7x (float32) to 1.8x (int8)
    as much text per second as batches of 64, whose padded activations ONNX Runtime computes
    in full, and an int8 vector then depends on its text alone, where in a batch its dynamic
    quantization scale would follow the other texts (a text's vector as a document and as a
    question differed by cosine 0.994). Documents run on ``threads`` threads; a call that
    asks for fewer (a query) runs on a session of its own, since a session's thread count is
    fixed. Each session starts on its first call, so a process that only asks questions
    starts one.
    """

    def __init__(
        self,
        model_dir: str,
        precision: Precision,
        threads: int | None,
        cache_dir: Path | None,
    ) -> None:
        from tokenizers import Tokenizer

        reason = onnx_unsupported(model_dir)
        if reason is not None:
            raise EmbeddingModelError(
                f"Cannot load embedding model {model_dir!r} on ONNX Runtime: {reason}",
                "set CITEWISE_EMBEDDING_RUNTIME=torch for this model, or "
                "CITEWISE_EMBEDDING_MODEL to an installed model or a local folder",
            )
        folder = Path(model_dir)
        self.max_tokens = int(_read_json(folder / "sentence_bert_config.json")["max_seq_length"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.no_padding()
        self._splitter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._splitter.no_truncation()
        self._splitter.no_padding()
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
        encodings = self._tokenizer.encode_batch(list(texts))
        rows = [self._encode_one(session, encoding) for encoding in encodings]
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    @staticmethod
    def _encode_one(session: Any, encoding: Any) -> np.ndarray:
        arrays = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        (states,) = session.run(None, arrays)
        pooled = states[0].mean(axis=0)  # every token is the text's: no padding to leave out
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
