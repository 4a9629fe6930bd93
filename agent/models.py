"""Chat model backends: ChatOpenAI (any OpenAI-compatible endpoint) or the offline rules.

ChatOpenAI's streamed requests (a live call's turn) go through `PlainStreamedCompletions`:
the same SDK client, retries, auth and errors, without two costs of its typed layer that buy
nothing here (langchain-openai builds the body as plain JSON and reads each chunk as a dict).
"""

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
        model = ChatOpenAI(
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
        model.async_client = PlainStreamedCompletions(model.root_async_client, model.async_client)
        return model
    return RulesChatModel(intent_index=intent_index(embeddings), timezone=settings.timezone)


_INDEXES: WeakKeyDictionary[Any, IntentIndex] = WeakKeyDictionary()


def intent_index(embeddings: Any) -> IntentIndex | None:
    """The example index for these embeddings, built once per embeddings object."""
    if embeddings is None:
        return None
    if embeddings not in _INDEXES:
        _INDEXES[embeddings] = IntentIndex(embeddings)
    return _INDEXES[embeddings]


class PlainStreamedCompletions:
    """`client.chat.completions` for ChatOpenAI, with streamed requests posted as built.

    `create(stream=True, ...)` posts the body langchain-openai built (plain JSON: dicts, lists,
    strings) with the client's own `post`, the SDK's documented way to send a body of one's own,
    and the chunks come back as the dicts the server sent. The SDK's `create` would first walk
    the whole body against its TypedDicts (a no-op for Chat Completions parameters, which have
    no aliases or formats, checked by a test), ~3 ms for a 20-message prompt on this machine,
    and build a pydantic model of each chunk, which langchain dumps straight back to a dict.
    Anything else (a request that does not stream, `with_raw_response`…) is the SDK's own."""

    def __init__(self, client: Any, completions: Any) -> None:
        self._client = client
        self._completions = completions

    async def create(self, **params: Any) -> Any:
        from openai import AsyncStream

        if params.get("stream") is not True or any(k.startswith("extra_") for k in params):
            return await self._completions.create(**params)
        timeout = params.pop("timeout", None)
        options: dict[str, Any] = {"security": {"bearer_auth": True}}
        if timeout is not None:
            options["timeout"] = timeout
        return await self._client.post(
            "/chat/completions",
            body=params,
            cast_to=object,
            options=options,
            stream=True,
            stream_cls=AsyncStream[object],
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._completions, name)
