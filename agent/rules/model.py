"""The offline rules model: a LangChain chat model that drives the graph with real tool calls.

It reads the conversation like any chat model: the customer's messages and the tool results.
The business's time zone comes through its constructor; the turn's channel and language are
call arguments (`channel=`, `language=`), taken from the run configuration's `configurable`
when the caller passes them there (the graph's model node offers them to every model that way;
ChatOpenAI ignores them). Policy (`policy.py`) picks the tools; replies (`compose.py`) are
written only from tool results and the reply catalogue, so every fact in a reply comes from
memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableConfig, ensure_config

from agent.confirmations import asks_yes_no, is_yes, last_question
from agent.language import detect_language
from agent.rules.answers import elliptic, topic_words
from agent.rules.compose import compose_turn
from agent.rules.entities import expand_shorthand, normalise_spelling
from agent.rules.intents import classify
from agent.rules.policy import first_step, second_step, tool_call
from memory.embeddings import INLINE_CHARS

# Per-turn call arguments the rules model reads (see the module docstring).
TURN_ARGUMENTS = ("channel", "language", "attachments")


class RulesChatModel(BaseChatModel):
    """Deterministic policy model (Spanish and English) with tool calling."""

    intent_index: Any = None  # agent.rules.nearest.IntentIndex, when embeddings are at hand
    timezone: str = "America/Bogota"

    @property
    def _llm_type(self) -> str:
        return "hilo-rules"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self.bind(tools=list(tools), **kwargs)

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        # No free-form reading into a schema: a call is read by `agent.rules.calls` instead
        # (the call analysis falls back to it on this error).
        raise NotImplementedError("the rules model has no structured output")

    async def ainvoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        turn = ensure_config(config).get("configurable") or {}
        for key in TURN_ARGUMENTS:
            if turn.get(key) is not None:
                kwargs.setdefault(key, turn[key])
        return await super().ainvoke(input, config, **kwargs)  # type: ignore[return-value]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self.respond(
            messages,
            channel=str(kwargs.get("channel") or "whatsapp"),
            language=str(kwargs.get("language") or "es"),
            attachments=tuple(kwargs.get("attachments") or ()),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # No I/O and about a millisecond of work for a message of a few lines: a thread hop
        # would cost more than it saves. A long one (the rules and the intent embedding over
        # thousands of characters) goes to a thread, so it does not stall other requests.
        last = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
        if last is not None and len(str(last.content)) > INLINE_CHARS:
            return await asyncio.to_thread(self._generate, messages, stop, None, **kwargs)
        return self._generate(messages, stop, None, **kwargs)

    def respond(
        self,
        messages: list[BaseMessage],
        *,
        channel: str = "whatsapp",
        language: str = "es",
        attachments: tuple[str, ...] = (),
    ) -> AIMessage:
        """The next step: tool calls, or the reply. `language` is the customer's as known
        (the last message's own language wins), `channel` the turn's, `attachments` the kinds
        of what came with the message ("imagen", "documento")."""
        prompt_chars = sum(len(str(m.content)) for m in messages)
        usage = {
            "input_tokens": prompt_chars // 4,  # an estimate: ~4 characters a token
            "output_tokens": 0,
            "total_tokens": prompt_chars // 4,
        }
        meta = {"model_name": self._llm_type}
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None
        )
        if last_human is None:
            return AIMessage(content="", usage_metadata=usage, response_metadata=meta)  # type: ignore[arg-type]
        text = str(messages[last_human].content)
        language = detect_language(text, default=language)
        text = expand_shorthand(normalise_spelling(text))  # "a q horass" as "a que horas"
        now = datetime.now(ZoneInfo(self.timezone))
        proposal = _our_proposal(messages[:last_human])
        if proposal is not None and is_yes(text):
            # "Sí" to our "¿Quieres que te comunique con una persona?": they asked for it.
            text = proposal
        reading = classify(text, now, self.intent_index)
        if reading.asked_beside:
            text = reading.asked_beside  # the question to answer, the address read already
        before = [m for m in messages[:last_human] if isinstance(m, HumanMessage)]
        if before and elliptic(text):
            # "¿Y cuánto tarda?" after "¿cuánto salía el alisado?": about the alisado too.
            carried = topic_words(expand_shorthand(normalise_spelling(str(before[-1].content))))
            if carried:
                text = f"{text} ({' '.join(carried[:6])})"
        after = messages[last_human + 1 :]
        results: dict[str, list[dict[str, Any]]] = {}
        for m in after:
            if isinstance(m, ToolMessage):
                results.setdefault(m.name or "", []).append(_json(m.content))
        steps_taken = sum(isinstance(m, AIMessage) for m in after)
        calls: list[dict[str, Any]] = []
        if steps_taken == 0:
            earlier = [
                classify(str(m.content), now, self.intent_index)
                for m in messages[:last_human][-6:]
                if isinstance(m, HumanMessage)
            ]
            calls = first_step(reading, text, earlier, language)
        elif steps_taken == 1:
            calls = second_step(reading, results, channel, language, text, self._similar())
        reply = ""

        def compose() -> tuple[str, tuple[str, ...]]:
            similar = self._similar()
            return compose_turn(
                reading, text, results, language, channel, self.timezone, similar, attachments
            )

        if not calls and steps_taken:
            reply, promises = compose()
            asked_for = {
                call["args"].get("description")
                for m in after
                if isinstance(m, AIMessage)
                for call in m.tool_calls
                if call["name"] == "update_next_action"
            }
            missing = [p for p in promises if p not in asked_for]
            if missing:
                # The reply promises to check, send or review something: the actions behind
                # it first (another action made this turn, a quote request, is not that
                # promise), all in one step.
                calls = [tool_call("update_next_action", {"description": p}) for p in missing]
        if calls:
            return AIMessage(
                content="",
                tool_calls=calls,  # type: ignore[arg-type]
                usage_metadata=usage,  # type: ignore[arg-type]
                response_metadata=meta,
            )
        if not steps_taken:
            reply, _ = compose()
        return AIMessage(content=reply, usage_metadata=usage, response_metadata=meta)  # type: ignore[arg-type]

    def _similar(self) -> Any:
        """Sentence similarity for the reply (pending questions by meaning), when the intent
        index's embeddings are at hand."""
        return self.intent_index.similarities if self.intent_index is not None else None


def _our_proposal(before: list[BaseMessage]) -> str | None:
    """Our yes/no question just before the customer's message, if that is what came last."""
    if not before or not isinstance(before[-1], AIMessage) or before[-1].tool_calls:
        return None
    content = str(before[-1].content)
    return last_question(content) if asks_yes_no(content) else None


def _json(content: Any) -> dict[str, Any]:
    try:
        value = json.loads(content) if isinstance(content, str) else content
    except (TypeError, ValueError):
        return {"error": str(content)}
    return value if isinstance(value, dict) else {"value": value}
