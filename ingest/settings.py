"""The one place that defines citewise's settings.

Values come, highest priority first, from keyword arguments, ``CITEWISE_*`` environment
variables, a TOML settings file (``CITEWISE_SETTINGS_FILE``, else ``./citewise.toml`` if it
exists), and the defaults below, which work offline on the bundled models.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ingest.errors import SettingsError
from ingest.runtime import EmbeddingRuntime

PACKAGED_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
SETTINGS_FILE_ENV = "CITEWISE_SETTINGS_FILE"
DEFAULT_SETTINGS_FILE = Path("citewise.toml")


class ReaderRuntime(StrEnum):
    """What runs the reader model. Both give the same spans (tests/test_reader_runtime.py)."""

    ONNX = "onnx"
    """The network exported to ONNX (on first use, from the shipped weights), on ONNX Runtime:
    about 14% less CPU time than torch on a CPU without native bfloat16 (a first, loaded
    measurement)."""
    TORCH = "torch"
    """torch: float32, or bfloat16 autocast where the CPU has it natively."""


def settings_file() -> Path | None:
    """The settings file in effect, if any."""
    named = os.environ.get(SETTINGS_FILE_ENV)
    if named:
        return Path(named)
    return DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.is_file() else None


class Settings(BaseSettings):
    """Every knob of citewise; each field's description is also its ``--help`` text."""

    model_config = SettingsConfigDict(env_prefix="CITEWISE_", extra="forbid", frozen=True)

    # Index storage
    store_dir: Path = Field(Path(".citewise"), description="Folder of the embedded Chroma index.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (e.g. http://localhost:8000); unset = embedded."
    )
    chroma_retry_seconds: float = Field(
        30.0,
        ge=0,
        description="With a Chroma server: how long a lost connection is retried (with "
        "growing pauses) before the command stops with an error.",
    )
    collection: str = Field("citewise", description="Name of the Chroma collection.")
    cache_dir: Path | None = Field(
        None,
        description="With a Chroma server: folder of this machine's lexical index and write "
        "lock; unset = ~/.cache/citewise (XDG_CACHE_HOME). An embedded index keeps them in "
        "store_dir.",
    )

    # Embedding
    embedding_model: str = Field(
        PACKAGED_EMBEDDING_MODEL,
        description="Sentence-transformers model: the packaged all-MiniLM-L6-v2, a local "
        "folder, or a Hugging Face name (downloaded only if HF_HUB_OFFLINE is unset).",
    )
    embedding_batch_size: int = Field(64, ge=1, description="Texts embedded per batch.")
    embedding_runtime: EmbeddingRuntime | None = Field(
        None,
        description="What computes the embeddings: torch, onnx (float32) or onnx-int8 "
        "(int8 matrix products), the ONNX ones exported from the model on first use; unset = "
        "the one the index was built with (onnx for a new index). Changing it needs a "
        "--rebuild.",
    )
    embedding_threads: int | None = Field(
        None,
        ge=1,
        description="Threads that embed a batch of chunks; unset = one per physical core.",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Folder of the models exported for the ONNX runtimes; unset = "
        "~/.cache/citewise/models (XDG_CACHE_HOME).",
    )

    # Chunking and ingestion
    chunk_size: int = Field(1200, ge=200, le=8000, description="Maximum characters per chunk.")
    chunk_overlap: int = Field(
        200, ge=0, description="Most characters of whole sentences repeated between chunks."
    )
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")
    max_unzipped_mb: float = Field(
        200.0,
        gt=0,
        description="Zip-based files (.docx) whose content would unpack to more than this "
        "are refused (a small file can inflate to gigabytes).",
    )
    max_parse_seconds: float = Field(
        180.0,
        gt=0,
        description="Seconds one file may take to be read and cut into chunks; a file taking "
        "longer is reported and skipped.",
    )
    follow_external_links: bool = Field(
        False,
        description="Follow symbolic links that lead out of an ingested folder (off: such "
        "links are reported and skipped, so a link cannot expose files elsewhere).",
    )

    # Retrieval
    top_k: int = Field(5, ge=1, le=50, description="Passages given to the answerer.")
    candidates: int = Field(30, ge=1, description="Candidates fetched from each search side.")
    dense_weight: float = Field(
        0.4, ge=0, description="Weight of dense search in fusion (tuned on SQuAD; see evals)."
    )
    lexical_weight: float = Field(1.0, ge=0, description="Weight of lexical search in fusion.")
    rrf_k: int = Field(
        5, ge=1, description="Reciprocal rank fusion constant: smaller favours top hits."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are cut here.")

    # Answering
    backend: str = Field("extractive", description="Answer backend: extractive or llm.")
    abstain_threshold: float | None = Field(
        None, description="Answerability score below which the answer abstains; unset = calibrated."
    )
    reader_runtime: ReaderRuntime = Field(
        ReaderRuntime.ONNX,
        description="What runs the reader: onnx (ONNX Runtime, exported on first use into "
        "~/.cache/citewise/models; no torch at answer time) or torch (faster per answer on "
        "a CPU with native bfloat16).",
    )
    llm_provider: Literal["openai", "ollama", "llamacpp"] = Field(
        "openai", description="LLM kind: openai (any OpenAI-compatible endpoint), ollama, llamacpp."
    )
    llm_base_url: str | None = Field(None, description="LLM endpoint URL (openai, ollama).")
    llm_model: str | None = Field(None, description="LLM model name, or GGUF path for llamacpp.")
    llm_api_key: str = Field("not-needed", description="API key for the LLM endpoint.")
    llm_context_window: int = Field(2048, ge=256, description="LLM context window in tokens.")
    llm_max_tokens: int = Field(256, ge=16, description="Most tokens the LLM may write.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for the LLM.")

    # Web chat
    host: str = Field("127.0.0.1", description="Address the web chat binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web chat.")
    auth: str | None = Field(
        None,
        description="USER:PASS (or several, comma-separated) required to use the web chat; "
        "each user has their own saved conversations.",
    )
    concurrency_limit: int = Field(4, ge=1, description="Chat requests answered at once.")
    upload_dir: Path | None = Field(
        None, description="Where uploaded files are kept; unset = <store_dir>/uploads."
    )
    example_questions: list[str] = Field(
        default_factory=list, description="Questions the web chat offers as examples."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = settings_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.store_dir / "uploads"


def load_settings(**overrides: object) -> Settings:
    """Settings from all sources, with ``overrides`` (e.g. CLI options) on top.

    ``None`` overrides are ignored so CLI options left unset fall through to other sources.
    """
    # Any: each value is checked by the Settings model itself, with a message naming it
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    path = settings_file()
    if path is not None and not path.is_file():
        raise SettingsError(f"Settings file {path} does not exist", f"unset {SETTINGS_FILE_ENV}")
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"Invalid settings: {problems}") from None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"Cannot read settings file {path}: {exc}") from None
