"""WhatsApp jobs: one agent turn per inbound message (in order, per customer), sends, and the
outbox sweep.

`agent_turn` runs under a procrastinate lock keyed by the customer's phone, so one customer's
messages are answered one at a time in arrival order while other customers run in parallel.
`send_whatsapp` runs under a lock keyed by the customer, so one customer's messages leave in
the order they were stored (also across retries and a dead worker's requeue), ahead of waiting
turns; it is retried with exponential backoff, and a failure that outlives its retries is
recorded on the message. The sweep re-queues outbound messages stored but never queued (a
process that died between storing a message and queueing its send).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import procrastinate
from psycopg import AsyncConnection

from agent import run_turn
from channels.delivery import deliver
from channels.twilio import inbound_media
from memory import Memory, get_or_create_customer
from memory.events import WebhookEvent
from memory.messages import get_message, record_send_failure, unsent_outbound_whatsapp
from server.jobs import runtime
from server.jobs.events import run_event_job
from server.jobs.queue import enqueue, queued_for
from server.jobs.retry import ShutdownSafeRetry, is_last_attempt
from tools.ports import store_outbound

log = logging.getLogger(__name__)
NAMESPACE = "whatsapp"
AGENT_TURN = f"{NAMESPACE}:agent_turn"
SEND = f"{NAMESPACE}:send_whatsapp"
SWEEP = f"{NAMESPACE}:sweep_outbox"

# A turn is idempotent (the inbound message is stored once by its MessageSid, a stored reply
# is returned again), so any failure (the LLM endpoint down, a database hiccup) is retried.
TURN_RETRY = ShutdownSafeRetry(max_attempts=4, exponential_wait=3)
# Waits of 2, 4, 8, 16, 32, 64 s: about two minutes of Twilio trouble before giving up.
SEND_RETRY = ShutdownSafeRetry(max_attempts=6, exponential_wait=2)
SEND_PRIORITY = 1  # above turns (0): a step finished is delivered before new ones start
SWEEP_AFTER = timedelta(minutes=1)  # a message this old without a send job was never queued
SWEEP_WITHIN = timedelta(days=2)  # older ones are stale news: left for humans


async def queue_send(conn: AsyncConnection[Any], message_id: int, customer_id: int) -> int:
    """Queue the send of a stored outbound message.

    One send at a time per customer, in the order the messages were stored: a send waiting for
    its retry (or for a dead worker's requeue) holds back that customer's later ones, so
    replies reach the phone in order. Sends go before waiting turns, so a reply is not held
    back by other customers' queued messages.
    """
    return await enqueue(
        conn,
        SEND,
        lock=f"whatsapp-send:{customer_id}",
        priority=SEND_PRIORITY,
        message_id=message_id,
    )


async def agent_turn(context: procrastinate.JobContext, event_id: int) -> str:
    memory: Memory = runtime.services().memory
    assert context.job is not None
    job_id = context.job.id

    async def answer(event: WebhookEvent) -> str:
        services = runtime.services()
        form = event.payload
        customer = await get_or_create_customer(memory, form["From"], name=form.get("ProfileName"))
        result = await run_turn(
            services.agent,
            customer.id,
            "whatsapp",
            form.get("Body") or "",
            external_id=form["MessageSid"],
            media=inbound_media(form) or None,
        )
        if result.reply_message_id is not None:
            async with memory.pool.connection() as conn, conn.transaction():
                await queue_send(conn, result.reply_message_id, customer.id)
        log.info(
            "agent turn",
            extra={
                "customer_id": customer.id,
                "job_id": job_id,
                "skipped": result.skipped,
                "tools": len(result.tool_calls),
            },
        )
        return result.skipped or "replied"

    return await run_event_job(memory, event_id, context.job, TURN_RETRY, answer)


async def send_whatsapp(context: procrastinate.JobContext, message_id: int) -> str:
    services = runtime.services()
    try:
        return await deliver(services.memory, services.whatsapp, services.settings, message_id)
    except Exception as exc:
        if not is_last_attempt(SEND_RETRY, context.job, exc):
            raise
        code = getattr(exc, "code", None) or type(exc).__name__
        await record_send_failure(
            services.memory, message_id, code=str(code), error=f"gave up after retries: {exc}"
        )
        log.warning("whatsapp send gave up", extra={"message_id": message_id, "code": code})
        return "failed"


async def queue_unsent_sends(memory: Memory, *, older_than: timedelta = SWEEP_AFTER) -> int:
    """Queue the send of outbound messages stored but never queued; returns how many."""
    unsent = await unsent_outbound_whatsapp(memory, older_than=older_than, within=SWEEP_WITHIN)
    if not unsent:
        return 0
    owners = {m.id: m.customer_id for m in [await get_message(memory, i) for i in unsent] if m}
    async with memory.pool.connection() as conn, conn.transaction():
        queued = await queued_for(conn, SEND, "message_id", unsent)
        lost = [m for m in unsent if m not in queued and m in owners]
        for message_id in lost:
            await queue_send(conn, message_id, owners[message_id])
    if lost:
        log.warning("outbox: queued sends that were never queued", extra={"count": len(lost)})
    return len(lost)


async def sweep_outbox(timestamp: int) -> int:
    return await queue_unsent_sends(runtime.services().memory)


def register(app: procrastinate.App) -> None:
    """Add these tasks to a job app (a function, not a Blueprint: tests build many apps)."""
    app.task(name=AGENT_TURN, pass_context=True, retry=TURN_RETRY)(agent_turn)
    app.task(name=SEND, pass_context=True, retry=SEND_RETRY)(send_whatsapp)
    app.periodic(cron="* * * * *", periodic_id="sweep_outbox")(
        app.task(name=SWEEP, queueing_lock="sweep_outbox")(sweep_outbox)
    )


@dataclass
class QueuedSender:
    """The agent's WhatsApp sender in production: store the message, queue its delivery.

    Honours opt-out (raises `OptedOut`) except for humans, who may still write from the
    dashboard. The send job re-checks at delivery time.
    """

    memory: Memory

    async def send_text(
        self,
        customer_id: int,
        text: str,
        *,
        role: str = "agent",
        meta: dict[str, Any] | None = None,
        external_id: str | None = None,
    ) -> int:
        message, created = await store_outbound(
            self.memory, customer_id, text, role=role, meta=meta, delivery_status="pending"
        )
        if created:
            # A crash right here leaves the message `pending` without a job: the sweep sends it.
            async with self.memory.pool.connection() as conn, conn.transaction():
                await queue_send(conn, message.id, customer_id)
        return message.id
