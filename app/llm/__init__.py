"""Optional LLM answer backend: any LangChain chat model, its answers checked against passages."""

from app.llm.answerer import LLMAnswerer
from app.llm.check import check_answer
from app.llm.errors import LLMUnavailable
from app.llm.models import chat_model
from app.llm.prompt import build_prompt

__all__ = ["LLMAnswerer", "LLMUnavailable", "build_prompt", "chat_model", "check_answer"]
