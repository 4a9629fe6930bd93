"""One turn of the conversation: `run_turn(agent, customer, channel, text)`.

Every entry point (the WhatsApp worker, `hilo chat`, evals) calls this one function. It stores
the inbound message, runs the graph on the customer's thread (thread id = customer id; its
guard node answers opt-out/opt-in words and media without the model and skips opted-out
customers and human-owned threads) and says what happened, read from the graph's typed state.
The reply leaves through the agent's outbox (in production its send job is queued in the
transaction that stores it); nothing here talks to Twilio. A burst of messages (`earlier`: the
ones before the last) is stored message by message and answered in one turn that reads them
all, in arrival order.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage

from agent.context import READ_CHARS, TurnContext
from agent.graph import build_graph
from agent.language import detect_language
from agent.models import build_model
from agent.tool_deps import tool_deps
from config import Settings
from memory import (
    Memory,
    get_customer,
    save_message,
    set_language,
)
from memory.database import schema_lock
from memory.messages import find_reply
from tools.outbox import Outbox, offline_outbox
from tools.ports import EscalationNotifier, NullNotifier

TurnChannel = Literal["whatsapp", "voice", "console"]


@dataclass
class Agent:
    settings: Settings
    memory: Memory
    model: BaseChatModel
    graph: Any
    sender: Outbox  # every message to the customer, the reply included, leaves through it
    notifier: EscalationNotifier


@dataclass(frozen=True)
class Inbound:
    """One customer message of a burst answered in one turn."""

    text: str
    external_id: str | None = None
    media: list[dict[str, Any]] | None = None


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
        # The saver holds one asyncio.Lock around every read and write, for the case of a
        # single shared connection. On a pool each operation has a connection of its own, so
        # the lock only queued every turn of the process behind each other (20 concurrent
        # calls: a checkpoint read waited 3.5 s, measured with the Custom LLM benchmark).
        checkpointer.lock = contextlib.nullcontext()  # type: ignore[assignment]
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
        sender=sender or offline_outbox(memory),
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
    earlier: Sequence[Inbound] = (),
) -> TurnResult:
    """Answer one customer message on `channel` (see the module docstring); with `earlier`,
    the burst of messages that came before it, answered together.

    A message already answered (same `external_id`) is `skipped="duplicate"`, with the id of
    the reply stored the first time (its send was queued when it was stored). A message
    stored by an attempt that stopped before answering is answered now.
    """
    started = time.perf_counter()
    memory = agent.memory
    customer = await get_customer(memory, customer_id)
    burst = [*earlier, Inbound(text, external_id, media)]
    parts = [m.text[:READ_CHARS] for m in burst if m.text.strip()]
    text = "\n".join(parts)[:READ_CHARS]
    media = [item for m in burst for item in m.media or []] or None
    language = (
        detect_language(text, default=customer.language) if text.strip() else customer.language
    )
    if language != customer.language and text.strip():
        await set_language(memory, customer_id, language)
    inbound_id = None
    inbound_ids: list[int] = []
    turn_started_at = None
    if channel != "voice":
        for message in burst:
            inbound, created = await save_message(
                memory,
                customer_id,
                channel="console" if channel == "console" else "whatsapp",
                direction="inbound",
                role="customer",
                text=message.text,
                external_id=message.external_id,
                media=message.media,
                language=language,
            )
            inbound_ids.append(inbound.id)
            turn_started_at = turn_started_at or inbound.created_at
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
    deps = tool_deps(
        agent, customer_id, channel=channel, language=language, turn_started_at=turn_started_at
    )
    context = TurnContext(
        deps=deps,
        max_steps=agent.settings.max_agent_steps,
        timezone=agent.settings.timezone,
        inbound_message_id=inbound_id,
        inbound_message_ids=tuple(inbound_ids),
        inbound_texts=tuple(parts) if len(burst) > 1 else (),
    )

    state = await agent.graph.ainvoke(
        {
            "messages": [HumanMessage(content=text)],
            "customer_id": customer_id,
            "channel": channel,
            "language": language,
            "media": media,
        },
        {
            "configurable": {"thread_id": str(customer_id)},
            # A safety net only: the step counter routes to finalize long before this.
            "recursion_limit": 2 * agent.settings.max_agent_steps + 10,
        },
        durability="exit",  # one checkpoint write per turn, not one per step
        context=context,
    )
    outcomes = [dict(o) for o in state.get("tool_outcomes") or []]
    return _done(
        TurnResult(
            reply=state.get("reply"),
            reply_message_id=state.get("reply_message_id"),
            inbound_message_id=inbound_id,
            tool_calls=outcomes,
            recalled=[
                hit
                for o in outcomes
                if o["name"] == "recall_conversations" and isinstance(o["result"], dict)
                for hit in o["result"].get("results", [])
            ],
            escalated=bool(state.get("escalated")),
            opted_out=bool(state.get("opted_out")),
            skipped=state.get("skipped"),
            prompt_tokens=int(state.get("prompt_tokens") or 0),
        ),
        started,
    )


def _done(result: TurnResult, started: float) -> TurnResult:
    result.latency_ms = (time.perf_counter() - started) * 1000
    return result
