"""WhatsApp jobs: one agent turn per inbound message (in order, per customer) and sends.

`agent_turn` runs under a procrastinate lock keyed by the customer's phone, so one customer's
messages are answered one at a time in arrival order while other customers run in parallel.
`send_whatsapp` is retried with exponential backoff on temporary failures only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import procrastinate

from agent import run_turn
from channels.delivery import RetryLater, deliver
from memory import Memory, get_customer, get_or_create_customer, mask_phone, save_message
from memory.events import get_event, mark_event
from server.jobs import runtime
from server.jobs.queue import enqueue
from tools.ports import OptedOut

log = logging.getLogger(__name__)
NAMESPACE = "whatsapp"
AGENT_TURN = f"{NAMESPACE}:agent_turn"
SEND = f"{NAMESPACE}:send_whatsapp"

# Waits of 2, 4, 8, 16, 32 s: about a minute of Twilio trouble before giving up.
SEND_RETRY = procrastinate.RetryStrategy(
    max_attempts=6, exponential_wait=2, retry_exceptions={RetryLater}
)


def media_of(form: dict[str, Any]) -> list[dict[str, str]]:
    count = int(form.get("NumMedia") or 0)
    return [
        {"url": form.get(f"MediaUrl{i}", ""), "content_type": form.get(f"MediaContentType{i}", "")}
        for i in range(min(count, 10))
    ]


async def agent_turn(context: procrastinate.JobContext, event_id: int) -> str:
    services = runtime.services()
    memory: Memory = services.memory
    event = await get_event(memory, event_id)
    if event is None or event.status == "done":
        return "nothing to do"
    await mark_event(memory, event_id, "processing")
    form = event.payload
    customer = await get_or_create_customer(memory, form["From"], name=form.get("ProfileName"))
    result = await run_turn(
        services.agent,
        customer.id,
        "whatsapp",
        form.get("Body") or "",
        external_id=form["MessageSid"],
        media=media_of(form) or None,
    )
    if result.reply_message_id is not None:
        async with memory.pool.connection() as conn, conn.transaction():
            await enqueue(conn, SEND, message_id=result.reply_message_id)
    await mark_event(memory, event_id, "done")
    log.info(
        "agent turn",
        extra={
            "customer_id": customer.id,
            "job_id": context.job.id,
            "skipped": result.skipped,
            "tools": len(result.tool_calls),
        },
    )
    return result.skipped or "replied"


async def send_whatsapp(message_id: int) -> str:
    services = runtime.services()
    return await deliver(services.memory, services.whatsapp, services.settings, message_id)


def register(app: procrastinate.App) -> None:
    """Add these tasks to a job app (a function, not a Blueprint: tests build many apps)."""
    app.task(name=AGENT_TURN, pass_context=True)(agent_turn)
    app.task(name=SEND, retry=SEND_RETRY)(send_whatsapp)


@dataclass
class QueuedSender:
    """The agent's WhatsApp sender in production: store the message, queue its delivery."""

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
        customer = await get_customer(self.memory, customer_id)
        if customer.opted_out and role != "human":
            raise OptedOut(f"customer {mask_phone(customer.phone)} opted out")
        message, created = await save_message(
            self.memory,
            customer_id,
            channel="whatsapp",
            direction="outbound",
            role=role,  # type: ignore[arg-type]
            text=text,
            delivery_status="pending",
            meta=meta,
            external_id=None,
        )
        if created:
            async with self.memory.pool.connection() as conn, conn.transaction():
                await enqueue(conn, SEND, message_id=message.id)
        return message.id
