"""One turn of the conversation: `run_turn(agent, customer, channel, text)`.

Every entry point (the WhatsApp worker, `hilo chat`, evals) calls this one function. It stores
the inbound message, applies the guards that need no model (opt-out/opt-in words, opted-out
customers), runs the graph on the customer's thread (thread id = customer id; the graph skips
human-owned threads and stores the reply as the turn's outgoing message) and says what happened.
The reply leaves through the agent's outbox (in production its send job is queued in the
transaction that stores it); nothing here talks to Twilio.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

import prompts
from agent.context import READ_CHARS, TurnContext
from agent.graph import build_graph
from agent.language import detect_language
from agent.models import build_model
from agent.nodes import store_reply
from agent.optout import is_opt_in, is_opt_out
from config import Settings
from memory import (
    Memory,
    get_customer,
    save_message,
    set_language,
    set_opted_out,
)
from memory.database import schema_lock
from memory.messages import find_reply
from tools.outbox import Outbox, StoreOnlySender
from tools.ports import EscalationNotifier, NullNotifier, ToolDeps

TurnChannel = Literal["whatsapp", "voice", "console"]


@dataclass
class Agent:
    settings: Settings
    memory: Memory
    model: BaseChatModel
    graph: Any
    sender: Outbox  # every message to the customer, the reply included, leaves through it
    notifier: EscalationNotifier


@dataclass
class TurnResult:
    """What one turn did."""

    reply: str | None  # None: no AI reply (opted out, human-owned, duplicate)
    reply_message_id: int | None = None  # the stored outgoing message (WhatsApp: 'pending')
    inbound_message_id: int | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name","args","result"}
    recalled: list[dict[str, Any]] = field(default_factory=list)  # chunks shown to the model
    escalated: bool = False  # an escalation is open after this turn
    opted_out: bool = False  # the customer is opted out after this turn
    skipped: str | None = None  # None | "opted_out" | "human_owned" | "duplicate"
    prompt_tokens: int = 0  # input tokens of every model call of the turn
    latency_ms: float = 0.0


async def build_agent(
    settings: Settings,
    memory: Memory,
    *,
    sender: Outbox | None = None,
    notifier: EscalationNotifier | None = None,
    model: BaseChatModel | None = None,
    checkpointer: Any = None,
) -> Agent:
    """Build the agent once per process. Checkpoints go to the same PostgreSQL by default."""
    if checkpointer is None:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        checkpointer = AsyncPostgresSaver(memory.pool)  # type: ignore[arg-type]
        # setup() is not safe against a concurrent twin; the schema lock serialises it
        # (taken by polling: setup's CREATE INDEX CONCURRENTLY waits for blocked queries).
        async with memory.pool.connection() as conn, schema_lock(conn):
            await checkpointer.setup()
    model = model or build_model(settings, memory.embeddings)
    return Agent(
        settings=settings,
        memory=memory,
        model=model,
        graph=build_graph(model, checkpointer),
        sender=sender or StoreOnlySender(memory),
        notifier=notifier or NullNotifier(),
    )


async def run_turn(
    agent: Agent,
    customer_id: int,
    channel: TurnChannel,
    text: str,
    *,
    external_id: str | None = None,
    media: list[dict[str, Any]] | None = None,
) -> TurnResult:
    """Answer one customer message on `channel` (see the module docstring).

    A message already answered (same `external_id`) is `skipped="duplicate"`, with the id of
    the reply stored the first time (the caller may queue its send again: sends are
    idempotent). A message stored by an attempt that stopped before answering is answered now.
    """
    started = time.perf_counter()
    memory = agent.memory
    customer = await get_customer(memory, customer_id)
    stored, text = text, text[:READ_CHARS]
    language = (
        detect_language(text, default=customer.language) if text.strip() else customer.language
    )
    if language != customer.language and text.strip():
        await set_language(memory, customer_id, language)
    inbound_id = None
    turn_started_at = None
    if channel != "voice":
        inbound, created = await save_message(
            memory,
            customer_id,
            channel="console" if channel == "console" else "whatsapp",
            direction="inbound",
            role="customer",
            text=stored,
            external_id=external_id,
            media=media,
            language=language,
        )
        if not created:
            answered = await find_reply(memory, customer_id, inbound.id)
            if answered is not None:
                return _done(
                    TurnResult(
                        reply=None,
                        reply_message_id=answered.id,
                        inbound_message_id=inbound.id,
                        skipped="duplicate",
                    ),
                    started,
                )
        inbound_id = inbound.id
        turn_started_at = inbound.created_at
    deps = ToolDeps(
        memory=memory,
        customer_id=customer_id,
        channel=channel,
        sender=agent.sender,
        notifier=agent.notifier,
        language=language,
        timezone=agent.settings.timezone,
        turn_started_at=turn_started_at,
    )
    context = TurnContext(
        deps=deps,
        max_steps=agent.settings.max_agent_steps,
        timezone=agent.settings.timezone,
        inbound_message_id=inbound_id,
    )

    async def reply_with(reply: str, meta: dict[str, Any] | None = None, **kw: Any) -> TurnResult:
        reply_id = await store_reply(context, channel, reply, language, meta)
        return _done(
            TurnResult(reply=reply, reply_message_id=reply_id, inbound_message_id=inbound_id, **kw),
            started,
        )

    if is_opt_out(text):
        await set_opted_out(memory, customer_id, True)
        # The confirmation is the last automated message the customer receives.
        return await reply_with(
            prompts.message("opted_out", language),
            opted_out=True,
            meta={"optout_confirmation": True},
        )
    # Opting out is about automated messages; a live call the customer is on is still answered
    # (and send_whatsapp refuses to write to them).
    if customer.opted_out and channel != "voice":
        if is_opt_in(text):
            await set_opted_out(memory, customer_id, False)
            return await reply_with(prompts.message("opted_in", language))
        return _done(
            TurnResult(
                reply=None, inbound_message_id=inbound_id, opted_out=True, skipped="opted_out"
            ),
            started,
        )
    if media and not text.strip():
        kind = _media_kind(media, language)
        return await reply_with(prompts.message("media", language, kind=kind))

    state = await agent.graph.ainvoke(
        {
            "messages": [HumanMessage(content=text)],
            "customer_id": customer_id,
            "channel": channel,
            "language": language,
        },
        {
            "configurable": {"thread_id": str(customer_id)},
            # A safety net only: the step counter routes to finalize long before this.
            "recursion_limit": 2 * agent.settings.max_agent_steps + 10,
        },
        durability="exit",  # one checkpoint write per turn, not one per step
        context=context,
    )
    skipped = state.get("skipped")
    if skipped:
        return _done(
            TurnResult(
                reply=None,
                inbound_message_id=inbound_id,
                skipped=skipped,
                escalated=skipped == "human_owned",
                opted_out=skipped == "opted_out",
            ),
            started,
        )
    messages = state["messages"]
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    tool_calls, recalled, tokens = _explain(messages[last_human:])
    # The thread was AI-owned at the start of the turn (else the graph skipped), so it is
    # escalated now exactly when a tool call of this turn opened the escalation.
    escalated = any(
        c["name"] == "escalate_to_human"
        and isinstance(c["result"], dict)
        and bool(c["result"].get("escalated"))
        for c in tool_calls
    )
    return _done(
        TurnResult(
            reply=state.get("reply"),
            reply_message_id=state.get("reply_message_id"),
            inbound_message_id=inbound_id,
            tool_calls=tool_calls,
            recalled=recalled,
            escalated=escalated,
            prompt_tokens=tokens,
        ),
        started,
    )


def _explain(messages: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Tool calls with their results, recalled chunks, and prompt tokens of this turn."""
    import json

    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    calls: list[dict[str, Any]] = []
    recalled: list[dict[str, Any]] = []
    tokens = 0
    for m in messages:
        if not isinstance(m, AIMessage):
            continue
        if m.usage_metadata:
            tokens += int(m.usage_metadata.get("input_tokens", 0))
        for call in m.tool_calls:
            result_msg = results.get(call["id"] or "")
            try:
                result = json.loads(result_msg.content) if result_msg else None  # type: ignore[arg-type]
            except ValueError:
                result = result_msg.content if result_msg else None
            calls.append({"name": call["name"], "args": call["args"], "result": result})
            if call["name"] == "recall_conversations" and isinstance(result, dict):
                recalled.extend(result.get("results", []))
    return calls, recalled, tokens


def _media_kind(media: list[dict[str, Any]], language: str) -> str:
    content_type = str(media[0].get("content_type", ""))
    names = {
        "audio": ("audio", "voice note"),
        "image": ("imagen", "image"),
        "video": ("video", "video"),
    }
    es, en = names.get(content_type.split("/")[0], ("archivo", "file"))
    return en if language == "en" else es


def _done(result: TurnResult, started: float) -> TurnResult:
    result.latency_ms = (time.perf_counter() - started) * 1000
    return result
