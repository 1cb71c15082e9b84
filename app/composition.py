"""The composition root: the objects that hold state, built once from settings and handed down.

A command, the web app or the eval runner makes one ``Components`` for its settings and takes
its parts from it: the store (one connection to the index, shared by searches, the engine and
the corpus tab), the embedder, the retriever, the reader, the calibration, the parse worker
and the answer engine. Nothing is built before it is asked for, and the models load on first
use, so ``citewise docs`` never imports torch and a no-op re-ingest loads no model.

``Models`` holds what is costly to load and does not depend on the index: the embedders and
the reader. Tests and benchmarks share one ``Models`` between several ``Components``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.settings import ReaderRuntime, Settings

if TYPE_CHECKING:
    from app.engine import AnswerEngine
    from app.gate.calibration import Calibration
    from app.gate.text_kind import TextKindModel
    from app.reader.runtime import Reader
    from ingest.embedder import Embedder
    from ingest.parse_worker import ParseWorker
    from ingest.runtime import EmbeddingRuntime
    from ingest.store import ChunkStore
    from retriever.hybrid import HybridRetriever


class Models:
    """The embedders (one per model and runtime) and the reader, each loaded on first use."""

    def __init__(
        self,
        reader_runtime: ReaderRuntime = ReaderRuntime.ONNX,
        model_cache_dir: Path | None = None,
    ) -> None:
        self.reader_runtime = reader_runtime
        self.model_cache_dir = model_cache_dir
        """Where the ONNX reader's export is kept (None: ~/.cache/citewise/models)."""
        self._lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._embedders: dict[tuple[str, EmbeddingRuntime], Embedder] = {}
        self._reader: Reader | None = None
        self._text_kind: TextKindModel | None = None

    def embedder(self, settings: Settings) -> Embedder:
        """The embedder of ``settings.embedding_model`` on ``settings.embedding_runtime`` (a
        new index's if unset: pass an open store's ``settings`` for its index's own), one per
        model and runtime (its model loads on the first text)."""
        from ingest.embedder import new_embedder

        made = new_embedder(settings)  # nothing loads until it embeds
        with self._lock:
            return self._embedders.setdefault((made.name, made.runtime), made)

    def reader(self) -> Reader:
        """The reader model and its tokenizer, loaded by the first caller."""
        from app.reader.runtime import open_reader

        with self._reader_lock:
            if self._reader is None:
                self._reader = open_reader(self.reader_runtime, self.model_cache_dir)
            return self._reader

    def text_kind(self) -> TextKindModel:
        """The model of how informal passages are, which the refusal thresholds follow."""
        from app.gate.text_kind import TextKindModel

        with self._lock:
            if self._text_kind is None:
                self._text_kind = TextKindModel.load()
            return self._text_kind


class Components:
    """Everything a command, the web app or the eval runner needs for one index, each part
    built on first use (under a lock: the web app's threads share one set).

    ``store`` is an already opened store to use (``Components.existing`` opens it with
    ``ChunkStore.open_existing`` to refuse a missing index); ``models`` shares loaded models
    with other components.
    """

    def __init__(
        self, settings: Settings, store: ChunkStore | None = None, models: Models | None = None
    ) -> None:
        self.settings = settings
        self.models = models or Models(settings.reader_runtime, settings.model_cache_dir)
        self._lock = threading.RLock()
        self._store = store
        self._parser: ParseWorker | None = None
        self._retriever: HybridRetriever | None = None
        self._calibration: Calibration | None = None
        self._engine: AnswerEngine | None = None

    @classmethod
    def existing(cls, settings: Settings, models: Models | None = None) -> Components:
        """Components on an index that must exist already (StoreError says how to make one)."""
        from ingest.store import ChunkStore

        return cls(settings, ChunkStore.open_existing(settings), models)

    @property
    def store(self) -> ChunkStore:
        """The one connection to the index that every part of this process uses."""
        from ingest.store import ChunkStore

        with self._lock:
            if self._store is None:
                self._store = ChunkStore.open(self.settings)
            return self._store

    @property
    def embedder(self) -> Embedder:
        """The embedder of the store's index, on the runtime its documents were embedded with
        (opens the store)."""
        return self.models.embedder(self.store.settings)

    @property
    def parser(self) -> ParseWorker:
        """The child process that parses files for ingestion (started on the first file)."""
        from ingest.parse_worker import ParseWorker

        with self._lock:
            if self._parser is None:
                self._parser = ParseWorker()
            return self._parser

    @property
    def retriever(self) -> HybridRetriever:
        from retriever.hybrid import HybridRetriever

        with self._lock:
            if self._retriever is None:
                self._retriever = HybridRetriever(self.store, self.embedder, self.settings)
            return self._retriever

    @property
    def calibration(self) -> Calibration:
        """The reranking weights and refusal model fitted for the reader."""
        from app.gate.calibration import Calibration

        with self._lock:
            if self._calibration is None:
                self._calibration = Calibration.load()
            return self._calibration

    @property
    def engine(self) -> AnswerEngine:
        from app.engine import AnswerEngine

        with self._lock:
            if self._engine is None:
                self._engine = AnswerEngine(
                    self.retriever,
                    self.store,
                    self.settings,
                    models=self.models,
                    calibration=self.calibration,
                )
            return self._engine

    def close(self) -> None:
        """Stops the parse worker and the retriever's thread and closes the store, if built."""
        with self._lock:
            if self._parser is not None:
                self._parser.stop()
            if self._retriever is not None:
                self._retriever.close()
            if self._store is not None:
                self._store.close()
