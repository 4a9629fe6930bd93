"""Jobs for ElevenLabs calls: ingest a finished call, analyse it, send the follow-up WhatsApp.

The raw webhook event is stored first (by the route); this job reads it, so a crash or a retry
repeats nothing that was done: `save_call` is idempotent per conversation id and the follow-up
is sent at most once per call.
"""

from __future__ import annotations

import logging

import procrastinate

from agent.ingest import ingest_call as ingest_call_record
from agent.ingest import ingest_failed_call
from channels.elevenlabs import call_record, failed_call
from memory import Memory
from memory.events import WebhookEvent
from server.jobs import runtime
from server.jobs.events import run_event_job
from server.jobs.retry import ShutdownSafeRetry
from server.jobs.whatsapp import queued_outbox

log = logging.getLogger(__name__)
NAMESPACE = "calls"
INGEST = f"{NAMESPACE}:ingest_call"


INGEST_RETRY = ShutdownSafeRetry(max_attempts=3, wait=5)


async def ingest_call(context: procrastinate.JobContext, event_id: int) -> str:
    memory: Memory = runtime.services().memory
    assert context.job is not None
    return await run_event_job(memory, event_id, context.job, INGEST_RETRY, ingest_event)


async def ingest_event(event: WebhookEvent) -> str:
    services = runtime.services()
    memory: Memory = services.memory
    payload = event.payload
    if event.event_type == "call_initiation_failure":
        failed = failed_call(payload)
        if failed.phone:
            await ingest_failed_call(
                memory,
                failed.phone,
                failed.conversation_id,
                failed.reason,
                language=services.settings.language,
            )
        return "failure recorded"
    settings = services.settings
    result = await ingest_call_record(
        memory,
        call_record(payload),
        model=services.agent.model,
        sender=queued_outbox(memory),
        followup_content_sid=settings.twilio_followup_content_sid,
        timezone=settings.timezone,
    )
    if result.analysis is None:
        return "duplicate call"
    saved = result.saved
    log.info("call ingested", extra={"customer_id": saved.customer.id, "turns": saved.turns_stored})
    return "ingested"


def register(app: procrastinate.App) -> None:
    """Add the call jobs to a job app."""
    app.task(name=INGEST, pass_context=True, retry=INGEST_RETRY)(ingest_call)
