"""Chat model backends: ChatOpenAI (any OpenAI-compatible endpoint) or the offline rules."""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel

from agent.rules import RulesChatModel
from config import Settings


def build_model(settings: Settings) -> BaseChatModel:
    if settings.llm == "openai":
        from langchain_openai import ChatOpenAI

        if settings.openai_api_key is None:
            raise ValueError("HILO_LLM=openai needs OPENAI_API_KEY")
        return ChatOpenAI(
            model=settings.llm_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            temperature=0.2,
            max_retries=2,
            timeout=30,
        )
    return RulesChatModel()
