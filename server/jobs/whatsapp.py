"""WhatsApp jobs: one agent turn per inbound message (in order, per customer), sends, and the
outbox sweep.

`agent_turn` runs under a procrastinate lock keyed by the customer's phone, so one customer's
messages are answered one at a time in arrival order while other customers run in parallel.
`send_whatsapp` runs under a lock keyed by the customer, so one customer's messages leave in
the order they were stored (also across retries and a dead worker's requeue), ahead of waiting
turns; it is retried with exponential backoff, and a failure that outlives its retries is
recorded on the message. Sends are queued by the outbox (`memory.outbox`) in the transaction
that stores the message, the agent's reply included; the sweep is a safety net only.
"""

from __future__ import annotations

import logging

import procrastinate

from agent import run_turn
from channels.delivery import deliver
from channels.twilio import inbound_media
from memory import Memory, get_or_create_customer
from memory.events import WebhookEvent
from memory.messages import record_send_failure
from memory.outbox import SEND_PRIORITY, SEND_TASK, queue_send, queue_unsent_sends
from server.jobs import runtime
from server.jobs.events import run_event_job
from server.jobs.retry import ShutdownSafeRetry, is_last_attempt
from tools.outbox import queued_outbox

__all__ = ["SEND_PRIORITY", "queued_outbox", "queue_send", "queue_unsent_sends", "register"]

log = logging.getLogger(__name__)
NAMESPACE = "whatsapp"
AGENT_TURN = f"{NAMESPACE}:agent_turn"
SEND = SEND_TASK  # queued by the outbox
SWEEP = f"{NAMESPACE}:sweep_outbox"

# A turn is idempotent (the inbound message is stored once by its MessageSid, a stored reply
# is returned again), so any failure (the LLM endpoint down, a database hiccup) is retried.
TURN_RETRY = ShutdownSafeRetry(max_attempts=4, exponential_wait=3)
# Waits of 2, 4, 8, 16, 32, 64 s: about two minutes of Twilio trouble before giving up.
SEND_RETRY = ShutdownSafeRetry(max_attempts=6, exponential_wait=2)


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


async def sweep_outbox(timestamp: int) -> int:
    return await queue_unsent_sends(runtime.services().memory)


def register(app: procrastinate.App) -> None:
    """Add these tasks to a job app (a function, not a Blueprint: tests build many apps)."""
    app.task(name=AGENT_TURN, pass_context=True, retry=TURN_RETRY)(agent_turn)
    app.task(name=SEND, pass_context=True, retry=SEND_RETRY)(send_whatsapp)
    app.periodic(cron="* * * * *", periodic_id="sweep_outbox")(
        app.task(name=SWEEP, queueing_lock="sweep_outbox")(sweep_outbox)
    )
