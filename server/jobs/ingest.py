"""Jobs for ElevenLabs calls: ingest a finished call, analyse it, send the follow-up WhatsApp.

The raw webhook event is stored first (by the route); this job reads it, so a crash or a retry
repeats nothing that was done: `save_call` is idempotent per conversation id and the follow-up
is sent at most once per call.
"""

from __future__ import annotations

import logging
from typing import Any

import procrastinate

import prompts
from agent.analysis import analyze_and_store_call
from channels.elevenlabs import call_record, customer_phone
from memory import CallRecord, Memory, create_next_action, save_call
from memory.calls import record_failed_call
from memory.events import get_event, mark_event
from server.jobs import runtime
from server.jobs.whatsapp import QueuedSender
from tools.ports import OptedOut

log = logging.getLogger(__name__)
NAMESPACE = "calls"
INGEST = f"{NAMESPACE}:ingest_call"


def followup_text(
    name: str | None, summary: str | None, pending: list[str], steps: list[str], language: str
) -> str:
    es = language != "en"
    return prompts.render(
        "followup",
        language,
        name_part=f" {name}" if name else "",
        summary_part=(("Hablamos de: " if es else "We talked about: ") + summary + "\n")
        if summary
        else "",
        pending_part=(
            ("Quedó pendiente: " if es else "Still open: ") + "; ".join(pending[:3]) + "\n"
        )
        if pending
        else "",
        steps_part=(("Lo acordado: " if es else "What we agreed: ") + "; ".join(steps[:3]) + "\n")
        if steps
        else "",
    )


async def send_followup(
    memory: Memory,
    sender: QueuedSender,
    settings: Any,
    call: CallRecord,
    customer_id: int,
    analysis: Any,
) -> int | None:
    async with memory.pool.connection() as conn:
        already = await (
            await conn.execute(
                "SELECT 1 FROM messages WHERE customer_id = %s AND meta->>'followup_for' = %s",
                (customer_id, call.conversation_id),
            )
        ).fetchone()
    if already:
        return None
    language = call.language or memory.default_language
    text = followup_text(
        call.customer_name,
        analysis.summary,
        analysis.pending_questions,
        analysis.next_steps,
        language,
    )
    meta: dict[str, Any] = {
        "followup_for": call.conversation_id,
        "content_variables": {
            "1": call.customer_name or "",
            "2": (analysis.summary or "")[:500],
            "3": "; ".join(analysis.next_steps[:3])[:500],
        },
    }
    if settings.twilio_followup_content_sid:
        meta["content_sid"] = settings.twilio_followup_content_sid
    try:
        return await sender.send_text(customer_id, text, meta=meta)
    except OptedOut:
        return None


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
    call = call_record(payload)
    saved = await save_call(memory, call)
    if not saved.created:
        await mark_event(memory, event_id, "done")
        return "duplicate call"
    model = services.agent.model
    analysis = await analyze_and_store_call(memory, saved, call, model=model)
    await send_followup(
        memory, QueuedSender(memory), services.settings, call, saved.customer.id, analysis
    )
    await mark_event(memory, event_id, "done")
    log.info("call ingested", extra={"customer_id": saved.customer.id, "turns": saved.turns_stored})
    return "ingested"


def register(app: procrastinate.App) -> None:
    """Add the call jobs to a job app."""
    app.task(name=INGEST, retry=procrastinate.RetryStrategy(max_attempts=3, wait=5))(ingest_call)
