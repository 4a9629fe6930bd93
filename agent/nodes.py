"""The graph's nodes: guard → model ⇄ tools → finalize."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.runtime import Runtime

import prompts
from agent.context import TurnContext
from agent.state import WINDOW, ThreadState
from memory import customer_context
from tools.registry import InvalidToolArgs, UnknownTool, invoke_tool, tool_schemas

CHANNEL_LABELS = {
    "es": {"whatsapp": "WhatsApp", "voice": "teléfono", "console": "chat"},
    "en": {"whatsapp": "WhatsApp", "voice": "the phone", "console": "chat"},
}


async def load_context(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    deps = runtime.context.deps
    context = await customer_context(deps.memory, deps.customer_id, recent=6)
    skipped = None
    if context.customer.opted_out:
        skipped = "opted_out"
    elif context.human_owned:
        skipped = "human_owned"
    snapshot = context.as_dict()
    snapshot.pop("phone", None)
    return {"context": snapshot, "skipped": skipped, "steps": 0}


def system_prompt(state: ThreadState) -> SystemMessage:
    language = state.get("language", "es")
    context = dict(state.get("context") or {})
    context.pop("recent_messages", None)  # they are in the message window already
    text = prompts.render(
        "system",
        language,
        business="Hilo",
        name=context.get("name") or ("el cliente" if language == "es" else "the customer"),
        channel_label=CHANNEL_LABELS[language if language in CHANNEL_LABELS else "es"].get(
            state.get("channel", "whatsapp"), "chat"
        ),
        channel_style=prompts.catalogue("channel_styles", language).get(
            state.get("channel", "whatsapp"), ""
        ),
        today=datetime.now(UTC).date().isoformat(),
        context=json.dumps(context, ensure_ascii=False, default=str, separators=(",", ":")),
    )
    return SystemMessage(content=text)


def prompt_window(messages: list[Any]) -> list[Any]:
    """The messages the model sees: this turn in full, earlier turns as plain dialogue.

    Earlier turns' tool calls and results are left out (what mattered is in their replies and
    in memory, reachable through recall), which keeps prompts small on long threads.
    """
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    earlier = [
        m
        for m in messages[:last_human]
        if isinstance(m, HumanMessage)
        or (isinstance(m, AIMessage) and not m.tool_calls and m.content)
    ]
    return earlier[-(WINDOW // 2) :] + list(messages[last_human:])


def make_model_node(model: BaseChatModel):  # noqa: ANN201 - a LangGraph node
    bound = model.bind_tools(tool_schemas())

    async def call_model(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        window = prompt_window(state["messages"])
        response = await bound.ainvoke([system_prompt(state), *window])
        return {"messages": [response], "steps": state.get("steps", 0) + 1}

    return call_model


async def run_tools(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    results = []
    for call in last.tool_calls:
        try:
            output: Any = await invoke_tool(call["name"], call.get("args"), runtime.context.deps)
        except (UnknownTool, InvalidToolArgs, ValueError) as exc:
            output = {"error": str(exc)}
        results.append(
            ToolMessage(
                content=json.dumps(output, ensure_ascii=False, default=str),
                tool_call_id=call["id"],
                name=call["name"],
            )
        )
    return {"messages": results}


def route_after_model(state: ThreadState, runtime: Runtime[TurnContext]) -> str:
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        return "tools" if state.get("steps", 0) < runtime.context.max_steps else "finalize"
    return "finalize"


def route_after_guard(state: ThreadState) -> str:
    return "skip" if state.get("skipped") else "model"


async def finalize(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    messages = state["messages"]
    last = messages[-1]
    language = state.get("language", "es")
    reply = str(last.content).strip() if isinstance(last, AIMessage) else ""
    update: dict[str, Any] = {}
    if isinstance(last, AIMessage) and last.tool_calls:
        # The step bound cut the loop: answer safely, and close the dangling tool calls so
        # the stored thread stays a valid conversation.
        reply = prompts.message("step_limit", language)
        update["messages"] = [
            ToolMessage(content='{"error": "step limit"}', tool_call_id=c["id"], name=c["name"])
            for c in last.tool_calls
        ] + [AIMessage(content=reply)]
    if not reply:
        reply = prompts.message("unknown", language)
        update["messages"] = [AIMessage(content=reply)]
    overflow = len(messages) + len(update.get("messages", [])) - WINDOW
    if overflow > 0:
        update["messages"] = [
            RemoveMessage(id=m.id) for m in messages[:overflow] if m.id
        ] + update.get("messages", [])
    update["reply"] = reply
    return update
