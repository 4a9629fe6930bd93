"""Jobs for ElevenLabs calls: ingest a finished call, analyse it, send the follow-up WhatsApp.

The raw webhook event is stored first (by the route); this job reads it, so a crash or a retry
repeats nothing that was done: `save_call` is idempotent per conversation id and the follow-up
is sent at most once per call.
"""

from __future__ import annotations

import logging

import procrastinate

from agent.ingest import ingest_call as ingest_call_record
from channels.elevenlabs import call_record, customer_phone
from memory import Memory, create_next_action
from memory.calls import record_failed_call
from memory.events import get_event, mark_event
from server.jobs import runtime
from server.jobs.whatsapp import QueuedSender

log = logging.getLogger(__name__)
NAMESPACE = "calls"
INGEST = f"{NAMESPACE}:ingest_call"


async def ingest_call(event_id: int) -> str:
    services = runtime.services()
    memory: Memory = services.memory
    event = await get_event(memory, event_id)
    if event is None or event.status == "done":
        return "nothing to do"
    await mark_event(memory, event_id, "processing")
    payload = event.payload
    if event.event_type == "call_initiation_failure":
        data = payload.get("data") or {}
        metadata = data.get("metadata") or {}
        phone = (
            (metadata.get("phone_call") or {}).get("external_number")
            or metadata.get("to_number")
            or customer_phone(data)
        )
        reason = str(data.get("failure_reason") or "desconocido")
        if phone:
            customer_id, created = await record_failed_call(
                memory, str(phone), str(data.get("conversation_id")), reason
            )
            if created:
                await create_next_action(
                    memory,
                    customer_id,
                    f"Reintentar llamada (no se pudo iniciar: {reason})",
                    type="call",
                    priority="normal",
                    created_by="elevenlabs",
                )
        await mark_event(memory, event_id, "done")
        return "failure recorded"
    settings = services.settings
    result = await ingest_call_record(
        memory,
        call_record(payload),
        model=services.agent.model,
        sender=QueuedSender(memory),
        followup_content_sid=settings.twilio_followup_content_sid,
        timezone=settings.timezone,
    )
    await mark_event(memory, event_id, "done")
    if result.analysis is None:
        return "duplicate call"
    saved = result.saved
    log.info("call ingested", extra={"customer_id": saved.customer.id, "turns": saved.turns_stored})
    return "ingested"


def register(app: procrastinate.App) -> None:
    """Add the call jobs to a job app."""
    app.task(name=INGEST, retry=procrastinate.RetryStrategy(max_attempts=3, wait=5))(ingest_call)
