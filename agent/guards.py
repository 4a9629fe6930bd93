"""The graph's first node: the guards that need no model, in one place.

In order: an opt-out word (opted out, the confirmation is the last automated message; a bare
keyword answering our own question is not one, `agent.optout`), an opted-out customer (an
opt-in word opts back in; a request for a person opens an escalation the operators see, with
no automated reply; anything else gets no AI reply, except on a live call), a media-only
message (a templated answer), a human-owned thread (no AI reply). A burst of messages answered
in one turn is read message by message (`TurnContext.inbound_texts`).
The guard also resets what a turn records (`ThreadState`), so every turn starts clean.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, RemoveMessage
from langgraph.runtime import Runtime

import prompts
from agent.attachments import media_kind
from agent.context import TurnContext
from agent.nodes import store_reply
from agent.optout import is_keyword, is_opt_in, is_opt_out
from agent.rules.intents import asks_for_person
from agent.state import ThreadState
from memory import get_customer, open_escalation, set_opted_out
from memory.escalations import current_escalation
from memory.messages import message_before, timeline
from memory.phases import mark


async def guard(state: ThreadState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    mark("guard")
    context = runtime.context
    deps = context.deps
    channel = state.get("channel", "whatsapp")
    language = state.get("language", "es")
    last = state["messages"][-1]
    text = str(last.content) if isinstance(last, HumanMessage) else ""
    media = state.get("media")
    fresh: dict[str, Any] = {
        "skipped": None,
        "reply": None,
        "reply_message_id": None,
        "tool_outcomes": [],
        "escalated": False,
        "opted_out": False,
        "prompt_tokens": 0,
        "steps": 0,
        "client_tool_calls": [],
    }
    # A guard's answer is not part of the conversation the model sees: the message leaves
    # the thread again (it is stored as a message all the same).
    forget = [RemoveMessage(id=last.id)] if last.id else []

    async def answer(key: str, meta: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        reply = prompts.message(key, language, **kw.pop("fill", {}))
        reply_id = await store_reply(context, channel, reply, language, meta)
        return {**fresh, **kw, "messages": forget, "reply": reply, "reply_message_id": reply_id}

    parts = context.inbound_texts or (text,)
    asked = await _our_question(context)
    offered = await _our_recent_words(context) if any(is_keyword(p) for p in parts) else None
    if any(is_opt_out(part, asked=asked, offered=offered) for part in parts):
        await set_opted_out(deps.memory, deps.customer_id, True)
        # The confirmation is the last automated message the customer receives.
        return await answer("opted_out", {"optout_confirmation": True}, opted_out=True)
    # Opting out is about automated messages; a live call the customer is on is still answered
    # (and the outbox refuses to write to them): on a call the customer is not read here.
    opted_out = channel != "voice" and (await get_customer(deps.memory, deps.customer_id)).opted_out
    if opted_out and any(is_opt_in(part, asked=asked) for part in parts):
        await set_opted_out(deps.memory, deps.customer_id, False)
        if not any("?" in part for part in parts):
            return await answer("opted_in")
        # "Quiero volver a recibir mensajes. ¿Con cuánta antelación…?": back in, and the
        # question is answered like any other.
        opted_out = False
    if opted_out:
        silent = {**fresh, "messages": forget, "skipped": "opted_out", "opted_out": True}
        if any(asks_for_person(part) for part in parts):
            # No automated reply, but people must hear of it: an escalation on their queue.
            reason = prompts.message("optedout_wants_person", language, text=" / ".join(parts))
            escalation, created = await open_escalation(
                deps.memory, deps.customer_id, reason[:500], opened_by="agent"
            )
            if created:
                await deps.notifier.escalation_opened(escalation)
            return {**silent, "escalated": True}
        return silent
    if media and not text.strip():
        return await answer("media", fill={"kind": media_kind(media[0], language)})
    if context.prefetched is not None:  # a live call: the context read holds the escalation
        owned = (await context.prefetched)[0].escalation
    else:
        owned = await current_escalation(deps.memory, deps.customer_id)
    if owned is not None:
        return {**fresh, "skipped": "human_owned", "escalated": True}
    return fresh


async def _our_question(context: TurnContext) -> str | None:
    """The message before the customer's turn, when it is ours (the agent's or a person's):
    a bare keyword repeating one of its words answers it (`agent.optout`)."""
    first = context.inbound_message_ids[0] if context.inbound_message_ids else None
    first = first if first is not None else context.inbound_message_id
    if first is None:
        return None
    before = await message_before(context.deps.memory, context.deps.customer_id, first)
    return before.text if before and before.direction == "outbound" else None


async def _our_recent_words(context: TurnContext) -> str | None:
    """What we said to the customer lately (our written messages and our turns of the last
    call, the last dozen messages before this turn): a bare keyword naming one of its options
    ("la baja") is that choice (`agent.optout.offered_option`)."""
    first = context.inbound_message_ids[0] if context.inbound_message_ids else None
    first = first if first is not None else context.inbound_message_id
    if first is None:
        return None
    recent = await timeline(
        context.deps.memory, context.deps.customer_id, limit=12, before_id=first
    )
    ours = [m.text for m in recent if m.direction == "outbound" or m.role in ("agent", "human")]
    return "\n".join(ours) or None


def route_after_guard(state: ThreadState) -> str:
    return "end" if state.get("skipped") or state.get("reply") else "load_context"
