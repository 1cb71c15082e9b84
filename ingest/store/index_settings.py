"""The settings an index was built with, stored with its chunk collection and checked on use.

Vectors of two embedding models, or chunks of two chunkings, are not comparable: the chunk
collection's metadata records the settings that shaped them, and a store opened with other
settings refuses to mix them (an index holding no document is simply re-created). The one
setting that may be left unset, the embedding runtime, is the index's own then
(:func:`runtime_to_use`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ingest.chunker import CHUNKER_VERSION
from ingest.embedder import new_index_runtime
from ingest.errors import IndexSettingsMismatch
from ingest.runtime import EmbeddingRuntime

if TYPE_CHECKING:
    from ingest.settings import Settings

INDEX_FORMAT = 1
"""Bump when chunk ids or metadata change shape: old indexes then need --rebuild."""
SETTING_PREFIX = "citewise:"
"""Prefix of the chunk collection's metadata keys that hold index settings."""

IndexSettings = dict[str, str | int]
UNRECORDED_BEFORE: IndexSettings = {"embedding_runtime": "torch"}
"""What indexes built before a setting was recorded were built with: every index before the
embedding runtime setting was embedded by sentence-transformers on torch."""


def runtime_to_use(settings: Settings, built: Mapping[str, Any] | None) -> EmbeddingRuntime:
    """The runtime to embed with: the one set; else the one ``built`` records (the settings of
    an index holding documents; None for a new or empty index), so that an index built before
    the default changed keeps its own; else a new index's (``new_index_runtime``)."""
    if settings.embedding_runtime is not None:
        return settings.embedding_runtime
    recorded = (built or {}).get("embedding_runtime")
    if recorded in list(EmbeddingRuntime):
        return EmbeddingRuntime(recorded)
    # one this version does not know is left for check_settings to report
    return new_index_runtime(settings.embedding_model)


def index_settings(settings: Settings, runtime: EmbeddingRuntime) -> IndexSettings:
    """Everything that must match for two vectors or two chunkings to be comparable, for
    ``settings`` embedding on ``runtime`` (see :func:`runtime_to_use`)."""
    return {
        "embedding_model": settings.embedding_model,
        "embedding_runtime": runtime.value,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "chunker_version": CHUNKER_VERSION,
        "index_format": INDEX_FORMAT,
    }


def collection_metadata(wanted: IndexSettings) -> dict[str, str | int]:
    """The chunk collection's metadata recording ``wanted``."""
    return {SETTING_PREFIX + k: v for k, v in wanted.items()}


def stored_settings(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The index settings recorded in a chunk collection's ``metadata`` (with those of
    ``UNRECORDED_BEFORE`` an older index does not record)."""
    recorded = {
        k[len(SETTING_PREFIX) :]: v
        for k, v in (metadata or {}).items()
        if k.startswith(SETTING_PREFIX)
    }
    return {**UNRECORDED_BEFORE, **recorded} if recorded else recorded


def differing(wanted: IndexSettings, stored: Mapping[str, Any]) -> list[str]:
    """The names of the settings whose stored value is not the wanted one."""
    return [k for k, v in wanted.items() if stored.get(k) != v]


def mismatch_error(
    location: str, wanted: IndexSettings, stored: Mapping[str, Any], names: list[str]
) -> IndexSettingsMismatch:
    what = "; ".join(f"{k} was {stored.get(k)!r}, now {wanted[k]!r}" for k in names)
    return IndexSettingsMismatch(
        f"The index in {location} was built with other settings: {what}",
        "re-run with --rebuild to re-embed every document with the new settings",
    )


def embedder_mismatch(
    location: str, embedder: EmbeddingRuntime, index: EmbeddingRuntime
) -> IndexSettingsMismatch:
    """The error for an embedder on another runtime than the index's: its vectors would be
    mixed with vectors they are not comparable to."""
    return IndexSettingsMismatch(
        f"The embedder given runs on {embedder.value}, but the index in {location} is embedded "
        f"on {index.value}",
        "make the embedder from the store's settings (ChunkStore.settings), or re-run with "
        "--rebuild to re-embed every document on the runtime set",
    )
