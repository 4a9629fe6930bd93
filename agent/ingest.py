"""A finished call into memory: store it, analyse it, write the follow-up WhatsApp.

`ingest_call` is the one path a recorded call takes, whoever brings it: the post-call webhook's
job, `hilo calls sync` and the offline evals. It is idempotent: a call already stored (same
conversation id) does nothing, and the follow-up is written at most once per call. A call that
never reached the customer (failed, a voicemail) gets no follow-up, and neither does a customer
who asked on the call not to be written to (opted out, as if they had written it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

import prompts
from agent.analysis import CallAnalysis, analyze_and_store_call, customer_language
from agent.optout import is_opt_out
from agent.rules.intents import fold
from memory import CallRecord, Memory, SavedCall, save_call, set_opted_out
from memory.calls import followup_exists, record_failed_call
from tools.outbox import OptedOut, Outbox


@dataclass
class IngestedCall:
    saved: SavedCall
    analysis: CallAnalysis | None  # None: the call was stored before (nothing done)
    followup_message_id: int | None  # None: no follow-up (duplicate call, opted out)


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
    sender: Outbox,
    call: CallRecord,
    customer_id: int,
    analysis: CallAnalysis,
    *,
    content_sid: str | None = None,
    name: str | None = None,
) -> int | None:
    """Write the post-call WhatsApp once per call (never to an opted-out customer). The name
    is the call's (dynamic variables), else `name` (the customer's as already known)."""
    if await followup_exists(memory, customer_id, call.conversation_id):
        return None
    language = customer_language(call, memory.default_language)
    name = call.customer_name or name
    text = followup_text(
        name,
        analysis.summary,
        analysis.pending_questions,
        analysis.next_steps,
        language,
    )
    meta: dict[str, Any] = {
        "followup_for": call.conversation_id,
        # Outside the 24 h window the approved template is sent with these variables.
        "content_variables": {
            "1": name or "",
            "2": (analysis.summary or "")[:500],
            "3": "; ".join(analysis.next_steps[:3])[:500],
        },
    }
    if content_sid:
        meta["content_sid"] = content_sid
    try:
        return await sender.send_text(customer_id, text, meta=meta, language=language)
    except OptedOut:
        return None


# A call that never reached the customer: its status, or only a voicemail greeting heard.
_NOT_REACHED = {"failed", "error", "no-answer", "no_answer", "busy", "canceled", "cancelled"}
_VOICEMAIL = re.compile(
    r"\b(buzon|deje (su|un) mensaje|despues del tono|no (esta|se encuentra) disponible"
    r"|fuera del area|leave (a|your) message|after the (tone|beep)|voicemail|voice mail"
    r"|is not available|mailbox)\b"
)


def reached(call: CallRecord) -> bool:
    """Whether the call reached the customer: not failed, and the customer said something
    that is not an answering machine's greeting."""
    if (call.status or "done").lower() in _NOT_REACHED:
        return False
    said = [t.text for t in call.turns if t.role == "customer" and (t.text or "").strip()]
    return any(not _VOICEMAIL.search(fold(text)) for text in said)


async def ingest_call(
    memory: Memory,
    call: CallRecord,
    *,
    model: BaseChatModel | None,
    sender: Outbox,
    followup_content_sid: str | None = None,
    timezone: str = "America/Bogota",
) -> IngestedCall:
    """Store, analyse and follow up one finished call (see the module docstring)."""
    saved = await save_call(memory, call)
    if not saved.created:
        return IngestedCall(saved=saved, analysis=None, followup_message_id=None)
    analysis = await analyze_and_store_call(memory, saved, call, model=model, timezone=timezone)
    if not reached(call):
        # A voicemail, a call that failed or nobody answered: nothing to follow up on.
        return IngestedCall(saved=saved, analysis=analysis, followup_message_id=None)
    if any(is_opt_out(t.text) for t in call.turns if t.role == "customer" and t.text):
        # "No me vuelvan a contactar", "no me escriban por WhatsApp", said on the call: the
        # same opt-out as written, and no follow-up.
        await set_opted_out(memory, saved.customer.id, True)
        return IngestedCall(saved=saved, analysis=analysis, followup_message_id=None)
    followup_id = await send_followup(
        memory,
        sender,
        call,
        saved.customer.id,
        analysis,
        content_sid=followup_content_sid,
        name=saved.customer.name,
    )
    return IngestedCall(saved=saved, analysis=analysis, followup_message_id=followup_id)


async def ingest_failed_call(
    memory: Memory, phone: str, conversation_id: str, reason: str | None, *, language: str
) -> bool:
    """A call that never connected: stored as a failed call, with a next action to retry it, in
    one transaction and once per conversation id. Returns whether it was new."""
    reason = reason or prompts.entry("operator", "unknown_reason", language)
    _, created = await record_failed_call(
        memory,
        phone,
        conversation_id,
        prompts.entry("operator", "failed_call_summary", language, reason=reason),
        retry_action=prompts.entry("operator", "retry_failed_call", language, reason=reason),
    )
    return created
