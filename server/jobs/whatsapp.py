"""WhatsApp jobs: one agent turn per burst of inbound messages (in order, per customer), sends,
and the outbox sweep.

`agent_turn` runs under a procrastinate lock keyed by the customer's phone, so one customer's
messages are answered one at a time in arrival order while other customers run in parallel.
Bursts: every inbound message queues its turn `HILO_WHATSAPP_DEBOUNCE` seconds after it
arrived. A turn that finds the customer's next message, sent within the debounce, still
unanswered does nothing: that message's own turn, queued behind it under the lock, comes after
the quiet time and answers them all. Otherwise it answers every unanswered message of the
customer in one turn, in arrival order, and marks them all done. A message that arrives while
a turn runs is not in that turn's burst, so its own turn answers it next: none is dropped or
answered twice. With a debounce of 0 every message is answered on its own.
`send_whatsapp` runs under a lock keyed by the customer, so one customer's messages leave in
the order they were stored (also across retries and a dead worker's requeue), ahead of waiting
turns; it is retried with exponential backoff, and a failure that outlives its retries is
recorded on the message. Sends are queued by the outbox (`memory.outbox`) in the transaction
that stores the message, the agent's reply included; the sweep is a safety net only.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import procrastinate

from agent import run_turn
from channels.delivery import deliver
from channels.twilio import ConsoleChannel, TwilioChannel
from memory import Memory, get_customer, get_or_create_customer
from memory.events import WebhookEvent, get_event, unfinished_events
from memory.messages import record_send_failure
from memory.outbox import SEND_PRIORITY, SEND_TASK, queue_send, queue_unsent_sends
from server.jobs import runtime
from server.jobs.events import run_event_job
from server.jobs.inbound import read_inbound
from server.jobs.retry import ShutdownSafeRetry, is_last_attempt
from server.jobs.voice_reply import send_voice_reply
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
TYPING_WAIT = 5.0  # seconds a typing indicator request may take (WhatsApp shows it for 25)


async def agent_turn(context: procrastinate.JobContext, event_id: int) -> str:
    services = runtime.services()
    memory: Memory = services.memory
    assert context.job is not None
    job_id = context.job.id
    burst = await _burst(memory, event_id, services.settings.whatsapp_debounce)
    if burst is None:
        return "answered with a later message"

    async def answer(event: WebhookEvent) -> str:
        form = event.payload
        customer = await get_or_create_customer(memory, form["From"], name=form.get("ProfileName"))
        if services.settings.whatsapp_typing and not customer.opted_out:
            # Before a voice note's download and transcription, which take seconds too.
            _show_typing(services.whatsapp, str(form["MessageSid"]))
        read = [
            await read_inbound(memory, services.settings, e.payload, customer.language)
            for e in burst
        ]
        earlier, last = read[:-1], read[-1]
        result = await run_turn(
            services.agent,
            customer.id,
            "whatsapp",
            last.text,
            external_id=last.external_id,
            media=last.media,
            earlier=earlier,
        )
        await send_voice_reply(
            memory,
            services.settings,
            services.agent.sender,
            customer.id,
            last,
            result,
            (await get_customer(memory, customer.id)).language,
        )
        log.info(
            "agent turn",
            extra={
                "customer_id": customer.id,
                "job_id": job_id,
                "skipped": result.skipped,
                "tools": len(result.tool_calls),
                "burst": len(read),
            },
        )
        return result.skipped or "replied"

    together = [e.id for e in burst[:-1]]
    return await run_event_job(
        memory, event_id, context.job, TURN_RETRY, answer, together_with=together
    )


_typing_tasks: set[asyncio.Task[None]] = set()


def _show_typing(channel: TwilioChannel | ConsoleChannel, message_sid: str) -> None:
    """Ask for WhatsApp's "typing…" without waiting: a cosmetic call must never delay or block
    the reply, so it runs beside the turn and its failure is only logged."""

    async def show() -> None:
        try:
            await asyncio.wait_for(channel.show_typing(message_sid), TYPING_WAIT)
        except Exception as exc:  # cosmetic: logged, never raised into the turn
            log.info("typing indicator failed", extra={"error": f"{type(exc).__name__}: {exc}"})

    task = asyncio.create_task(show())
    _typing_tasks.add(task)  # a reference, so the task is not collected while it runs
    task.add_done_callback(_typing_tasks.discard)


async def _burst(memory: Memory, event_id: int, debounce: float) -> list[WebhookEvent] | None:
    """The customer's unanswered messages this turn answers, oldest first, ending with its own
    event; None when the next message came within the debounce (its turn answers them all).
    Gaps are read from when the messages arrived, not from when the turn runs, so a worker
    behind on its queue still answers two bursts apart. With no debounce, just its own event."""
    event = await get_event(memory, event_id)
    if event is None or debounce <= 0:
        return [event] if event is not None else []
    waiting = await unfinished_events(
        memory, event.source, event.event_type, {"From": event.payload.get("From")}
    )
    later = [e for e in waiting if e.id > event.id]
    if later and later[0].received_at - event.received_at <= timedelta(seconds=debounce):
        return None  # the burst goes on: the later message's turn answers it
    return [e for e in waiting if e.id < event.id] + [event]


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
