"""The graph's nodes after the guard (`agent.guards`): load context → model ⇄ tools →
finalize (the reply leaves through the outbox)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import psycopg
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
from agent.attachments import media_kinds
from agent.confirmations import asks_yes_no
from agent.context import TurnContext, VoiceMemory
from agent.prompt import system_prompt_text
from agent.state import WINDOW, ThreadState, ToolOutcome, this_turn, turn_start
from agent.voice_prompt import (
    client_tool_names,
    passthrough_calls,
    spoken_recall,
    voice_prompt_text,
)
from memory import DatabaseUnavailable, customer_context
from memory.phases import mark, phase
from tools.customer_tools import model_view
from tools.ports import ToolDeps
from tools.registry import InvalidToolArgs, UnknownTool, invoke_tool, tool_schemas

log = logging.getLogger(__name__)
# What the thread records as the result of a tool the voice platform runs (end_call…).
T = TypeVar("T")
HANDED = '{"status": "run by the voice platform"}'


async def load_context(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """The customer's context snapshot, read once per turn (the guard has let the turn in)."""
    mark("load_context")
    deps = runtime.context.deps
    recalled: list[dict[str, Any]] = []
    if runtime.context.prefetched is not None:
        context, recalled = await runtime.context.prefetched
    elif state.get("channel") == "voice":
        # The recall for the caller's words, beside the context read: on a call the model gets
        # memory in its prompt instead of asking for it (a round trip the caller would hear).
        last = state["messages"][-1]
        context, recalled = await voice_memory(
            deps, str(last.content) if isinstance(last, HumanMessage) else ""
        )
    else:
        context = await customer_context(deps.memory, deps.customer_id, recent=6)
    snapshot = model_view(context.as_dict())  # the model never needs a number
    deps.context_snapshot = dict(snapshot)  # get_customer_context reuses this read
    # Customer/agent messages are in the window already; what advisors wrote is not.
    snapshot["recent_messages"] = [m for m in snapshot["recent_messages"] if m["role"] == "human"]
    if recalled:
        snapshot["recalled"] = recalled
    return {"context": snapshot}


async def voice_memory(deps: ToolDeps, words: str) -> VoiceMemory:
    """A spoken turn's memory: the context and the recall for the caller's words, together."""
    return await asyncio.gather(
        _timed("context", customer_context(deps.memory, deps.customer_id, recent=6)),
        _timed("recall", spoken_recall(deps, words)),
    )


async def _timed(name: str, step: Awaitable[T]) -> T:
    with phase(name):
        return await step


def system_prompt(state: ThreadState, timezone: str = "America/Bogota") -> SystemMessage:
    channel = state.get("channel", "whatsapp")
    language = state.get("language", "es")
    context = state.get("context") or {}
    text = system_prompt_text(context, channel=channel, language=language, timezone=timezone)
    if channel == "voice":
        text += "\n\n" + voice_prompt_text(context.get("recalled") or [], language)
    return SystemMessage(content=text)


def prompt_window(messages: list[Any]) -> list[Any]:
    """The messages the model sees: this turn in full, earlier turns as plain dialogue.

    Earlier turns' tool calls and results are left out (what mattered is in their replies and
    in memory, reachable through recall), which keeps prompts small on long threads.
    """
    last_human = turn_start(messages)
    earlier = [
        m
        for m in messages[:last_human]
        if isinstance(m, HumanMessage)
        or (isinstance(m, AIMessage) and not m.tool_calls and m.content)
    ]
    return earlier[-(WINDOW // 2) :] + list(messages[last_human:])


def make_model_node(model: BaseChatModel):  # noqa: ANN201 - a LangGraph node
    schemas = tool_schemas()  # built once: pydantic's schema generation costs ~15 ms a time
    bound = model.bind_tools(schemas)
    # Bound once per set of the voice platform's tools (an agent sends the same every turn).
    with_platform_tools: dict[str, Any] = {}

    def binding(client: list[dict[str, Any]]) -> Any:
        names = client_tool_names(client)
        offered = [t for t in client if (t.get("function") or {}).get("name") in names]
        if not offered:
            return bound
        key = json.dumps(offered, sort_keys=True)
        if key not in with_platform_tools:
            if len(with_platform_tools) >= 32:
                with_platform_tools.clear()
            with_platform_tools[key] = model.bind_tools([*schemas, *offered])
        return with_platform_tools[key]

    async def call_model(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        system = system_prompt(state, runtime.context.timezone)
        runnable = binding(runtime.context.client_tools)
        # The turn's channel and language, offered to any model as run configuration (the
        # rules model reads them; ChatOpenAI ignores them). Nothing here knows which model.
        language = state.get("language") or "es"
        attachments = media_kinds(state.get("media"), language)
        turn = {
            "channel": state.get("channel", "whatsapp"),
            "language": state.get("language"),
            "attachments": attachments,
        }
        if attachments:  # the model cannot see them: it is told they came with the message
            note = prompts.message("attachment_note", language, kinds=", ".join(attachments))
            system = SystemMessage(content=f"{system.content}\n\n{note}")
        mark("model")
        response = await runnable.ainvoke(
            [system, *prompt_window(state["messages"])], config={"configurable": turn}
        )
        usage = getattr(response, "usage_metadata", None) or {}
        return {
            "messages": [response],
            "steps": state.get("steps", 0) + 1,
            "prompt_tokens": state.get("prompt_tokens", 0) + int(usage.get("input_tokens", 0)),
        }

    return call_model


async def run_tools(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Run the last model message's tool calls for this customer; failures become results.
    Each outcome is recorded in the state (`tool_outcomes`, `escalated`) as the model sees it."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    results = []
    outcomes: list[ToolOutcome] = list(state.get("tool_outcomes") or [])
    escalated = bool(state.get("escalated"))
    handed = passthrough_calls(last, runtime.context.client_tools)
    for call in last.tool_calls:
        if call in handed:  # the voice platform runs it once the turn is handed back
            results.append(ToolMessage(content=HANDED, tool_call_id=call["id"], name=call["name"]))
            continue
        try:
            output: Any = await invoke_tool(call["name"], call.get("args"), runtime.context.deps)
        except (UnknownTool, InvalidToolArgs) as exc:
            output = {"error": str(exc)}
        except (DatabaseUnavailable, psycopg.OperationalError):
            raise  # the database is away: fail the turn so the job is retried
        except Exception as exc:  # a broken tool must not break the conversation
            log.exception("tool failed", extra={"tool": call["name"]})
            output = {"error": f"{call['name']} failed ({type(exc).__name__}); try another way"}
        content = json.dumps(output, ensure_ascii=False, default=str)
        results.append(
            ToolMessage(
                content=content,
                tool_call_id=call["id"],
                name=call["name"],
                status="error" if isinstance(output, dict) and "error" in output else "success",
            )
        )
        shown = json.loads(content)  # what the model was shown (dates as text)
        outcomes.append(ToolOutcome(name=call["name"], args=call["args"], result=shown))
        if call["name"] == "escalate_to_human" and isinstance(shown, dict):
            escalated = escalated or bool(shown.get("escalated"))
    return {"messages": results, "tool_outcomes": outcomes, "escalated": escalated}


def route_after_model(state: ThreadState, runtime: Runtime[TurnContext]) -> str:
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        handed = passthrough_calls(last, runtime.context.client_tools)
        if len(handed) == len(last.tool_calls):
            return "finalize"  # only the platform's tools: nothing for Hilo to run
        return "tools" if state.get("steps", 0) < runtime.context.max_steps else "finalize"
    return "finalize"


def route_after_tools(state: ThreadState, runtime: Runtime[TurnContext]) -> str:
    """Back to the model, unless the platform runs a tool of this step: the turn is handed
    back to it (it may call again with the result)."""
    asked = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)
    return "finalize" if passthrough_calls(asked, runtime.context.client_tools) else "model"


async def finalize(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """The reply: stored as the outgoing message of the turn; the window trimmed."""
    messages = state["messages"]
    last = messages[-1]
    language = state.get("language", "es")
    reply = str(last.content).strip() if isinstance(last, AIMessage) else ""
    new: list[Any] = []
    outcomes: list[ToolOutcome] = list(state.get("tool_outcomes") or [])
    asked = [m for m in this_turn(messages) if isinstance(m, AIMessage)]
    handed = passthrough_calls(asked[-1], runtime.context.client_tools) if asked else []
    if handed:
        # The platform runs these (end_call, transfer_to_number…): what the model said with
        # them is the reply; the calls are closed so the stored thread stays a valid one.
        reply = str(asked[-1].content).strip()
        if isinstance(last, AIMessage) and last.tool_calls:
            new = [
                ToolMessage(
                    content=HANDED if c in handed else '{"error": "step limit"}',
                    tool_call_id=c["id"],
                    name=c["name"],
                )
                for c in last.tool_calls
            ]
        new += [AIMessage(content=reply)] if reply else []
        outcomes += [
            ToolOutcome(name=c["name"], args=c["args"], result={"run_by": "voice platform"})
            for c in handed
        ]
    elif isinstance(last, AIMessage) and last.tool_calls:
        # The step bound cut the loop: answer safely, and close the dangling tool calls so
        # the stored thread stays a valid conversation.
        reply = prompts.message("step_limit", language)
        new = [
            ToolMessage(content='{"error": "step limit"}', tool_call_id=c["id"], name=c["name"])
            for c in last.tool_calls
        ] + [AIMessage(content=reply)]
        outcomes += [
            ToolOutcome(name=c["name"], args=c["args"], result={"error": "step limit"})
            for c in last.tool_calls
        ]
    if not reply and not handed:
        reply = prompts.message("unknown", language)
        new = [AIMessage(content=reply)]
    if state.get("escalated") and not new:
        # The customer's one acknowledgement, in their language, whatever the model wrote:
        # from here on people answer, and the AI must not go on with the conversation.
        voice = state.get("channel") == "voice"
        reply = (
            prompts.entry("voice", "escalated", language)
            if voice
            else prompts.message("escalated", language)
        )
        new = [AIMessage(content=reply)]
    removed = [RemoveMessage(id=m.id) for m in _expired(messages, len(new)) if m.id]
    # What the AI did this turn rides on its reply, so the operators' timeline can explain it.
    summary = [{"name": o["name"], "args": o["args"] or {}} for o in outcomes]
    meta: dict[str, Any] = {"tool_calls": summary} if summary else {}
    if asks_yes_no(reply):
        meta["confirm"] = True  # may leave with Sí / No buttons (channels.delivery)
    reply_id = await store_reply(
        runtime.context, state.get("channel", "whatsapp"), reply, language, meta or None
    )
    return {
        "messages": removed + new,
        "reply": reply,
        "reply_message_id": reply_id,
        "tool_outcomes": outcomes,
        "client_tool_calls": handed,
    }


def _expired(messages: list[Any], adding: int) -> list[Any]:
    """Messages to drop from the checkpoint: earlier turns' tool traffic (the model never sees
    it again: `prompt_window`), then the oldest messages beyond the window."""
    last_human = turn_start(messages)
    tool_traffic = [
        m
        for m in messages[:last_human]
        if isinstance(m, ToolMessage) or (isinstance(m, AIMessage) and m.tool_calls)
    ]
    dropped = {id(m) for m in tool_traffic}
    kept = [m for m in messages if id(m) not in dropped]
    overflow = max(len(kept) + adding - WINDOW, 0)
    return tool_traffic + kept[:overflow]


async def store_reply(
    context: TurnContext,
    channel: str,
    reply: str,
    language: str,
    meta: dict[str, Any] | None = None,
) -> int | None:
    """The agent's answer on the turn's channel, through the outbox (stored with its send
    queued in one transaction); a voice reply is spoken, not stored."""
    if channel == "voice" or not reply:
        return None
    deps = context.deps
    meta = dict(meta or {})
    if context.inbound_message_id is not None:
        meta["in_reply_to"] = context.inbound_message_id
    return await deps.sender.send_text(
        deps.customer_id,
        reply,
        role="agent",
        meta=meta,
        language=language,
        channel="console" if channel == "console" else "whatsapp",
    )
