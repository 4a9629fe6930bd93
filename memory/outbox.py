"""The outbox: every message to a customer is stored here, with its send queued in the SAME
transaction, under one policy (opt-out, the 24-hour window).

Chatwoot's shape: a message is created, its creation queues one send job, the channel delivers
(`channels.delivery.deliver`, run by the `whatsapp:send_whatsapp` job). Because the message and
its job commit together, no stored message is left without a send; `queue_unsent_sends` (the
periodic sweep) stays only as a safety net for messages stored before this was so, or by hand.
How a message leaves (queued for Twilio, shown on the console, kept for evals) is chosen by the
caller's delivery strategy (`tools.outbox`); this module only stores and queues.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from memory.customers import Customer, get_customer
from memory.messages import Message, get_message, save_message, unsent_outbound_whatsapp
from memory.phones import mask_phone
from memory.queue import enqueue, queued_for
from memory.store import Memory

log = logging.getLogger(__name__)

SEND_TASK = "whatsapp:send_whatsapp"
SEND_PRIORITY = 1  # above turns (0): a step finished is delivered before new ones start
# WhatsApp's customer-service window: a free-form message only this long after the customer
# last wrote; outside it, an approved template.
WINDOW = timedelta(hours=24)
SWEEP_AFTER = timedelta(minutes=1)  # a message this old without a send job was never queued
SWEEP_WITHIN = timedelta(days=2)  # older ones are stale news: left for humans


class OptedOut(Exception):
    """The customer opted out of WhatsApp messages; nothing was stored or sent."""


def may_message(customer: Customer, *, role: str, meta: dict[str, Any] | None) -> bool:
    """The one opt-out policy: an opted-out customer gets nothing automated, except the
    confirmation of the opt-out itself; people (operators) may still write to them."""
    return (
        not customer.opted_out or role == "human" or bool((meta or {}).get("optout_confirmation"))
    )


def inside_window(customer: Customer, now: datetime | None = None) -> bool:
    """Whether a free-form WhatsApp message may reach the customer now (else: a template)."""
    last = customer.last_inbound_at
    return bool(last and (now or datetime.now(UTC)) - last < WINDOW)


async def queue_send(conn: AsyncConnection[Any], message_id: int, customer_id: int) -> int:
    """Queue the send of a stored outbound message, on the caller's transaction.

    One send at a time per customer, in the order the messages were stored: a send waiting for
    its retry (or for a dead worker's requeue) holds back that customer's later ones, so
    replies reach the phone in order. Sends go before waiting turns, so a reply is not held
    back by other customers' queued messages.
    """
    return await enqueue(
        conn,
        SEND_TASK,
        lock=f"whatsapp-send:{customer_id}",
        priority=SEND_PRIORITY,
        message_id=message_id,
    )


async def store_outbound(
    memory: Memory,
    customer_id: int,
    text: str,
    *,
    role: str = "agent",
    meta: dict[str, Any] | None = None,
    language: str | None = None,
    channel: str = "whatsapp",
    delivery_status: str = "pending",
    queue: bool = True,
) -> tuple[Message, bool]:
    """Store a message to the customer and, with `queue`, queue its send in the same
    transaction. Returns (message, created). Refuses (`OptedOut`) what the policy forbids."""
    customer = await get_customer(memory, customer_id)
    if not may_message(customer, role=role, meta=meta):
        raise OptedOut(f"customer {mask_phone(customer.phone)} opted out")

    async def queue_its_send(conn: AsyncConnection[Any], message: Message) -> None:
        await queue_send(conn, message.id, customer_id)

    return await save_message(
        memory,
        customer_id,
        channel=channel,  # type: ignore[arg-type]
        direction="outbound",
        role=role,  # type: ignore[arg-type]
        text=text,
        language=language,
        meta=meta,
        delivery_status=delivery_status,
        on_created=queue_its_send if queue and channel == "whatsapp" else None,
    )


async def queue_unsent_sends(memory: Memory, *, older_than: timedelta = SWEEP_AFTER) -> int:
    """The safety net: queue the send of outbound messages stored `pending` without a send job
    (none should exist: the outbox queues in the storing transaction); returns how many."""
    unsent = await unsent_outbound_whatsapp(memory, older_than=older_than, within=SWEEP_WITHIN)
    if not unsent:
        return 0
    owners = {m.id: m.customer_id for m in [await get_message(memory, i) for i in unsent] if m}
    async with memory.pool.connection() as conn, conn.transaction():
        queued = await queued_for(conn, SEND_TASK, "message_id", unsent)
        lost = [m for m in unsent if m not in queued and m in owners]
        for message_id in lost:
            await queue_send(conn, message_id, owners[message_id])
    if lost:
        log.warning("outbox: queued sends that were never queued", extra={"count": len(lost)})
    return len(lost)
