"""Chat model backends: ChatOpenAI (any OpenAI-compatible endpoint) or the offline rules."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from langchain_core.language_models.chat_models import BaseChatModel

from agent.rules import RulesChatModel
from agent.rules.nearest import IntentIndex
from config import Settings


def build_model(settings: Settings, embeddings: Any = None) -> BaseChatModel:
    """`HILO_LLM=openai`: ChatOpenAI on `OPENAI_BASE_URL` (OpenAI, Azure-compatible, Ollama,
    vLLM…); otherwise the rules model, which also recognises intents by their nearest example
    when `embeddings` (the memory's sentence embeddings) are given."""
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
            # Chat Completions is what every OpenAI-compatible server speaks; without this,
            # some model names would switch langchain-openai to the Responses API.
            use_responses_api=False,
        )
    return RulesChatModel(intent_index=intent_index(embeddings), timezone=settings.timezone)


_INDEXES: WeakKeyDictionary[Any, IntentIndex] = WeakKeyDictionary()


def intent_index(embeddings: Any) -> IntentIndex | None:
    """The example index for these embeddings, built once per embeddings object."""
    if embeddings is None:
        return None
    if embeddings not in _INDEXES:
        _INDEXES[embeddings] = IntentIndex(embeddings)
    return _INDEXES[embeddings]
