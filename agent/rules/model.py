"""The offline rules model: a LangChain chat model that drives the graph with real tool calls.

Step one reads the customer's last message (intent, entities) and asks for the tools that
policy needs (recall, context, next actions, callbacks, escalation). Step two reads the tool
results and writes a reply grounded in them; when memory has nothing relevant it says so and
offers a person. It never invents facts: every fact in a reply is copied from a tool result.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.language import detect_language
from agent.rules.compose import compose_reply
from agent.rules.intents import Reading, classify, fold

_CALL_MENTION = re.compile(r"\b(llamada|por telefono|on the call|phone call|when you called)\b")


def _call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}


def plan_tools(reading: Reading, text: str, history: Sequence[str]) -> list[dict[str, Any]]:
    """The tool calls the policy makes for a customer message (may be none)."""
    earlier = [classify(h).intent for h in history[-3:]]
    intent = reading.intent
    if intent == "human":
        return [
            _call(
                "escalate_to_human",
                {"reason": "El cliente pidió hablar con una persona", "priority": "normal"},
            )
        ]
    if intent == "anger" or (
        intent == "complaint" and sum(i in ("complaint", "anger") for i in earlier) >= 1
    ):
        return [
            _call(
                "escalate_to_human",
                {"reason": f"Cliente molesto: {text[:160]}", "priority": "high"},
            )
        ]
    if reading.other_party:
        return []  # never act on other numbers or other customers; the reply says so
    calls: list[dict[str, Any]] = []
    if reading.emails:
        calls.append(_call("update_customer_profile", {"email": reading.emails[0]}))
    if reading.amounts and intent in ("quote", "provide_info", "recall", "unknown"):
        calls.append(_call("update_customer_profile", {"budget": reading.amounts[0]}))
    when = reading.when.isoformat() if reading.when else None
    if intent == "complaint":
        calls.append(
            _call(
                "update_next_action",
                {"description": f"Revisar queja: {text[:160]}", "priority": "high"},
            )
        )
    elif intent == "callback" and when:
        calls.append(
            _call("schedule_callback", {"when": when, "reason": "El cliente pidió que lo llamen"})
        )
    elif intent == "schedule" and when:
        calls.append(
            _call(
                "update_next_action",
                {"description": f"Cita/demo: {text[:120]}", "due": when, "priority": "normal"},
            )
        )
    elif intent == "quote":
        calls.append(_call("recall_conversations", {"query": text}))
        calls.append(_call("get_customer_context", {}))
        calls.append(
            _call(
                "update_next_action",
                {"description": f"Cotización: {text[:140]}", "priority": "normal"},
            )
        )
    elif intent == "pending":
        calls.append(_call("get_customer_context", {}))
        calls.append(_call("recall_conversations", {"query": text}))
    elif intent in ("recall", "unknown"):
        args: dict[str, Any] = {"query": text}
        if _CALL_MENTION.search(fold(text)):
            args["channel"] = "call"
        calls.append(_call("recall_conversations", args))
        if intent == "recall":
            calls.append(_call("get_customer_context", {}))
    return calls


class RulesChatModel(BaseChatModel):
    """Deterministic policy model (Spanish and English) with tool calling."""

    @property
    def _llm_type(self) -> str:
        return "hilo-rules"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self.bind(tools=list(tools), **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None
        )
        prompt_chars = sum(len(str(m.content)) for m in messages)
        usage = {
            "input_tokens": prompt_chars // 4,
            "output_tokens": 0,
            "total_tokens": prompt_chars // 4,
        }
        if last_human is None:
            return _result(AIMessage(content="", usage_metadata=usage))  # type: ignore[arg-type]
        text = str(messages[last_human].content)
        language = detect_language(text, default=_language_hint(messages))
        reading = classify(text)
        after = messages[last_human + 1 :]
        if not any(isinstance(m, AIMessage) for m in after):
            history = [str(m.content) for m in messages[:last_human] if isinstance(m, HumanMessage)]
            calls = plan_tools(reading, text, history)
            if calls:
                return _result(
                    AIMessage(
                        content="",
                        tool_calls=calls,  # type: ignore[arg-type]
                        usage_metadata=usage,
                    )
                )
        results: dict[str, list[dict[str, Any]]] = {}
        for m in after:
            if isinstance(m, ToolMessage):
                results.setdefault(m.name or "", []).append(_json(m.content))
        reply = compose_reply(reading, text, results, language)
        return _result(AIMessage(content=reply, usage_metadata=usage))  # type: ignore[arg-type]


def _language_hint(messages: list[BaseMessage]) -> str:
    system = str(messages[0].content) if messages else ""
    return "en" if system.startswith("You are") else "es"


def _json(content: Any) -> dict[str, Any]:
    try:
        value = json.loads(content) if isinstance(content, str) else content
    except (TypeError, ValueError):
        return {"error": str(content)}
    return value if isinstance(value, dict) else {"value": value}


def _result(message: AIMessage) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=message)])
