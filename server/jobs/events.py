"""Accepting an event (store it, queue its job) and the bookkeeping every event job shares,
in one place, and retrying a failed event.

Every webhook and `hilo calls sync` calls `accept_event`: the raw event is stored once per
(source, key) and its job queued in the same transaction, so nothing accepted is lost and a
duplicate delivery queues nothing. A job for a stored webhook event (`run_event_job`) loads it,
skips it when it is already done (or failed for good), marks it processing, runs one use case,
and marks it done. Two kinds of failure:
- permanent (the event itself is wrong: an invalid phone number, a call that cannot be stored,
  a value memory refuses): retrying cannot help, so the event is marked failed at once with
  the reason, and the job ends without a retry;
- transient (the database, a service, a bug that may pass): raised, so procrastinate retries it;
  on the last attempt the event is marked failed with the reason.
Operators list failed events (what, when, why) and retry one after fixing the cause: the event
goes back to `received` and its job is queued, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import procrastinate

from memory import InvalidCall, InvalidInput, InvalidPhone, Memory, UnknownCustomer
from memory.events import (
    WebhookEvent,
    get_event,
    mark_event,
    record_event,
    reopen_failed_event,
)
from memory.phones import normalize_phone
from memory.queue import enqueue
from server.jobs.retry import is_last_attempt

log = logging.getLogger(__name__)
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    InvalidPhone,
    InvalidCall,
    InvalidInput,
    UnknownCustomer,
)
FINISHED = ("done", "failed", "ignored")
# ElevenLabs events the ingest job reads (post-call audio is only stored).
JOB_EVENT_TYPES = ("post_call_transcription", "call_initiation_failure")

UseCase = Callable[[WebhookEvent], Awaitable[str]]


async def run_event_job(
    memory: Memory,
    event_id: int,
    job: procrastinate.jobs.Job,
    retry: procrastinate.RetryStrategy,
    use_case: UseCase,
    *,
    together_with: Sequence[int] = (),
) -> str:
    """Run `use_case` on the stored event with the shared bookkeeping (module docstring).
    `together_with`: other events the use case handles in the same run (a burst of messages
    answered once); they are marked with this one."""
    event = await get_event(memory, event_id)
    if event is None or event.status in FINISHED:
        return "nothing to do"
    ids = [*dict.fromkeys([*together_with, event_id])]

    async def mark(status: str, error: str | None = None) -> None:
        for one in ids:
            await mark_event(memory, one, status, error=error)

    await mark("processing")
    try:
        outcome = await use_case(event)
    except PERMANENT_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"
        await mark("failed", reason)
        log.warning(
            "event failed for good (not retried)",
            extra={"event_id": event_id, "event_type": event.event_type, "error": reason},
        )
        return "failed"
    except Exception as exc:
        if is_last_attempt(retry, job, exc):
            await mark("failed", f"{type(exc).__name__}: {exc}")
        raise
    await mark("done")
    return outcome


def event_job(
    source: str, event_type: str, payload: dict[str, Any], default_region: str
) -> tuple[str, str | None] | None:
    """The job (task name, per-customer lock) that processes an event of this kind, or None
    for the kinds that are only stored (post-call audio, early delivery statuses)."""
    from server.jobs.ingest import INGEST
    from server.jobs.whatsapp import AGENT_TURN

    if source == "twilio" and event_type == "whatsapp_inbound":
        phone = normalize_phone(str(payload.get("From", "")), default_region)
        return AGENT_TURN, f"customer:{phone}"
    if source == "elevenlabs" and event_type in JOB_EVENT_TYPES:
        return INGEST, None
    return None


async def accept_event(
    memory: Memory,
    source: str,
    event_type: str,
    event_key: str,
    payload: dict[str, Any],
    *,
    delay: float = 0,
) -> int | None:
    """Store a verified inbound event and queue its job, in one transaction: nothing accepted
    is lost, and no job runs for an event that was rolled back. The counterpart of
    `run_event_job`. Returns the event id, or None for a duplicate delivery (same source and
    key), which queues nothing. `delay`: seconds before its job may run (a WhatsApp message
    waits for the rest of its burst, `server.jobs.whatsapp`)."""
    job = event_job(source, event_type, payload, memory.default_region)
    async with memory.pool.connection() as conn, conn.transaction():
        event_id = await record_event(conn, source, event_type, event_key, payload)
        if event_id is not None and job is not None:
            task, lock = job
            await enqueue(conn, task, lock=lock, schedule_in=delay or None, event_id=event_id)
    if event_id is None:
        log.info("duplicate event ignored", extra={"source": source, "event_key": event_key})
    return event_id


async def retry_failed_event(memory: Memory, event_id: int) -> WebhookEvent:
    """Reopen a failed event and queue its job again (one transaction)."""
    async with memory.pool.connection() as conn, conn.transaction():
        event = await reopen_failed_event(conn, event_id)
        job = event_job(event.source, event.event_type, event.payload, memory.default_region)
        if job is None:
            raise InvalidInput(f"events of type {event.source}/{event.event_type} are not retried")
        task, lock = job
        await enqueue(conn, task, lock=lock, event_id=event.id)
    log.info("failed event queued again", extra={"event_id": event_id})
    return event
