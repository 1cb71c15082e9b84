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
from typing import TYPE_CHECKING

from ingest.settings import ReaderRuntime, Settings

if TYPE_CHECKING:
    from app.engine import AnswerEngine
    from app.gate.calibration import Calibration
    from app.gate.text_kind import TextKindModel
    from app.reader.runtime import Reader
    from ingest.embedder import Embedder
    from ingest.parse_worker import ParseWorker
    from ingest.store import ChunkStore
    from retriever.hybrid import HybridRetriever


class Models:
    """The embedders (one per model and runtime) and the reader, each loaded on first use."""

    def __init__(self, reader_runtime: ReaderRuntime = ReaderRuntime.TORCH) -> None:
        self.reader_runtime = reader_runtime
        self._lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._embedders: dict[tuple[str, str], Embedder] = {}
        self._reader: Reader | None = None
        self._text_kind: TextKindModel | None = None

    def embedder(self, settings: Settings) -> Embedder:
        """The embedder of ``settings.embedding_model`` on ``settings.embedding_runtime`` (its
        model loads on the first text)."""
        from ingest.embedder import new_embedder

        key = (settings.embedding_model, settings.embedding_runtime.value)
        with self._lock:
            embedder = self._embedders.get(key)
            if embedder is None:
                embedder = new_embedder(settings)
                self._embedders[key] = embedder
            return embedder

    def reader(self) -> Reader:
        """The reader model and its tokenizer, loaded by the first caller."""
        from app.reader.runtime import open_reader

        with self._reader_lock:
            if self._reader is None:
                self._reader = open_reader(self.reader_runtime)
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
        self.models = models or Models(settings.reader_runtime)
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
        return self.models.embedder(self.settings)

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
