"""The LangChain chat model the settings name, and nothing else.

No provider falls back to another or to an online service: the OpenAI provider needs an explicit
``llm_base_url``, and every failure to reach or load the model is an ``LLMUnavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from app.llm.errors import LLMUnavailable
from ingest.errors import SettingsError
from ingest.settings import Settings

OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"
LLM_EXTRA_HINT = "pip install 'citewise[llm]'"


def endpoint(settings: Settings) -> str:
    """Where the model lives, as named in error messages: a URL or a GGUF path."""
    if settings.llm_provider == "llamacpp":
        return str(settings.llm_model)
    if settings.llm_provider == "ollama":
        return settings.llm_base_url or OLLAMA_DEFAULT_URL
    return str(settings.llm_base_url)


def chat_model(settings: Settings, gguf: Any = None) -> BaseChatModel:
    """A chat model for ``settings.llm_provider``, deterministic (temperature 0); the
    llamacpp provider serves ``gguf`` (a loaded ``llama_cpp.Llama``) or loads its own."""
    if settings.llm_provider == "openai":
        return _openai_model(settings)
    if settings.llm_provider == "ollama":
        return _ollama_model(settings)
    client = gguf if gguf is not None else load_gguf(settings)
    return LlamaCppChat(client=client, max_tokens=settings.llm_max_tokens)


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not settings.llm_base_url:
        raise SettingsError(
            "llm_base_url is not set for the openai provider",
            "set CITEWISE_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1",
        )
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model or served_model(settings),
        api_key=settings.llm_api_key,
        temperature=0,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )


def served_model(settings: Settings) -> str:
    """The first model an OpenAI-compatible server lists, for when ``llm_model`` is unset."""
    url = f"{str(settings.llm_base_url).rstrip('/')}/models"
    try:
        response = httpx.get(
            url,
            headers={"Authorization": f"Bearer {settings.llm_api_key}"},
            timeout=settings.llm_timeout_s,
        )
        response.raise_for_status()
        models = response.json().get("data") or []
    except (httpx.HTTPError, ValueError) as exc:
        raise unavailable(settings, exc) from None
    if not models:
        raise LLMUnavailable(
            f"The LLM server at {settings.llm_base_url} lists no model", "set CITEWISE_LLM_MODEL"
        )
    return str(models[0]["id"])


def _ollama_model(settings: Settings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    if not settings.llm_model:
        raise SettingsError("llm_model is not set for the ollama provider", "e.g. llama3.2:1b")
    return ChatOllama(
        base_url=endpoint(settings),
        model=settings.llm_model,
        temperature=0,
        num_ctx=settings.llm_context_window,
        num_predict=settings.llm_max_tokens,
        client_kwargs={"timeout": settings.llm_timeout_s},
    )


def load_gguf(settings: Settings) -> Any:
    """The in-process ``llama_cpp.Llama`` for ``settings.llm_model``, loaded now (the LLM
    answerer loads it once and shares it between its chat model and its token counter)."""
    if not settings.llm_model:
        raise SettingsError(
            "llm_model is not set for the llamacpp provider", "set it to a .gguf file path"
        )
    path = Path(settings.llm_model).expanduser()
    if not path.is_file():
        raise LLMUnavailable(f"GGUF model file {path} does not exist", "check CITEWISE_LLM_MODEL")
    return _load_gguf(str(path.resolve()), settings.llm_context_window)


def _load_gguf(path: str, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise LLMUnavailable(
            "The llamacpp provider needs llama-cpp-python", LLM_EXTRA_HINT
        ) from None
    try:
        return Llama(model_path=path, n_ctx=n_ctx, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise LLMUnavailable(f"Cannot load GGUF model {path}: {exc}") from None


def unavailable(settings: Settings, exc: BaseException) -> LLMUnavailable:
    """The user-facing error for a model that did not answer."""
    reason = str(exc).strip() or type(exc).__name__
    return LLMUnavailable(
        f"Cannot reach the LLM at {endpoint(settings)} ({settings.llm_provider}): {reason}",
        "start the LLM server or fix llm_base_url / llm_model, or use the extractive backend",
    )


_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over an in-process ``llama_cpp.Llama`` (the GGUF's chat template)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any = Field(exclude=True)
    max_tokens: int = 256

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-in-process"

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        return {
            "messages": [
                {"role": _ROLES.get(m.type, "user"), "content": str(m.text)} for m in messages
            ],
            "temperature": 0.0,
            "max_tokens": self.max_tokens,
            "stop": stop,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        result = self.client.create_chat_completion(**self._request(messages, stop))
        text = result["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for part in self.client.create_chat_completion(
            **self._request(messages, stop), stream=True
        ):
            text = part["choices"][0]["delta"].get("content") or ""
            if text:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
