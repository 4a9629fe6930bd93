"""Twilio webhooks: inbound WhatsApp messages and delivery status callbacks.

Verify the signature first (refused requests store nothing), accept the raw event (stored and
its job queued in one transaction, `server.jobs.events.accept_event`), answer empty TwiML at
once. Duplicates (same MessageSid) are acknowledged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from channels.delivery import status_event_key
from channels.twilio import public_request_url, verify_twilio_signature
from config import Settings
from memory import InvalidPhone, normalize_phone, update_delivery
from memory.messages import MAX_MESSAGE_CHARS
from server.bodies import parse_form, read_body, without_nul
from server.deps import MemoryDep, SettingsDep
from server.jobs.events import accept_event
from server.openapi import FORM, document_body
from server.webhook_bodies import TwilioInboundMessage, TwilioStatusCallback

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# A form holding a 64 K-character Body, percent-encoded (up to 12 bytes a character), fits.
MAX_BODY_BYTES = 1024 * 1024
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Required fields missing, or a form that cannot be read"},
    403: {"description": "Invalid X-Twilio-Signature"},
    413: {"description": "The request or its Body is too large"},
    503: {"description": "TWILIO_AUTH_TOKEN is not set"},
}


async def verified_form(request: Request, settings: Settings) -> dict[str, str]:
    """The signed form, NULs removed once the signature (which covers them) is checked."""
    token = settings.twilio_auth_token
    if token is None:
        raise HTTPException(503, "Twilio webhooks need TWILIO_AUTH_TOKEN to verify signatures")
    form = parse_form(await read_body(request, MAX_BODY_BYTES))
    url = public_request_url(str(request.url), settings.public_url)
    if not verify_twilio_signature(
        token.get_secret_value(), url, form, request.headers.get("X-Twilio-Signature")
    ):
        raise HTTPException(403, "invalid Twilio signature")
    return without_nul(form)


@router.post("/whatsapp", responses=REFUSALS)
async def inbound_whatsapp(request: Request, memory: MemoryDep, settings: SettingsDep) -> Response:
    form = await verified_form(request, settings)
    sid, sender = form.get("MessageSid"), form.get("From")
    if not sid or not sender:
        raise HTTPException(400, "MessageSid and From are required")
    if len(form.get("Body", "")) > MAX_MESSAGE_CHARS:
        raise HTTPException(413, f"Body is longer than {MAX_MESSAGE_CHARS} characters")
    try:
        normalize_phone(sender, memory.default_region)
    except InvalidPhone as exc:
        raise HTTPException(400, f"From is not a valid phone number: {exc}") from exc
    await accept_event(
        memory, "twilio", "whatsapp_inbound", sid, form, delay=settings.whatsapp_debounce
    )
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("/status", responses={**REFUSALS, 422: {"description": "Unknown MessageStatus"}})
async def status_callback(request: Request, memory: MemoryDep, settings: SettingsDep) -> Response:
    form = await verified_form(request, settings)
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        raise HTTPException(400, "MessageSid and MessageStatus are required")
    try:
        changed = await update_delivery(
            memory,
            sid,
            status,
            error_code=form.get("ErrorCode"),
            error_message=form.get("ErrorMessage"),
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if not changed:
        # Maybe earlier than the send job's record of the sid (a fast callback, or a worker
        # killed right after Twilio's answer): kept, and applied once the sid is recorded.
        await accept_event(memory, "twilio", "message_status", status_event_key(sid, status), form)
    return Response(status_code=204)


document_body(f"{router.prefix}/whatsapp", TwilioInboundMessage, (FORM,))
document_body(f"{router.prefix}/status", TwilioStatusCallback, (FORM,))
