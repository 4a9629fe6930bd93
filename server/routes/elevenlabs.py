"""ElevenLabs routes: the post-call webhook, call start (dynamic variables), live server tools."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from channels.elevenlabs import (
    InvalidPayload,
    InvalidSignature,
    call_record,
    verify_elevenlabs_signature,
)
from memory import InvalidPhone, customer_context, get_or_create_customer
from memory.events import record_event
from server.auth import same_secret
from server.bodies import json_object, parse_form, parse_json, read_body, without_nul
from server.deps import get_services
from server.jobs.ingest import INGEST
from server.jobs.queue import enqueue
from server.jobs.whatsapp import QueuedSender
from server.services import Services
from tools.ports import NullNotifier, ToolDeps
from tools.registry import InvalidToolArgs, UnknownTool, invoke_tool

router = APIRouter(tags=["elevenlabs"])
log = logging.getLogger(__name__)
EVENT_TYPES = {"post_call_transcription", "post_call_audio", "call_initiation_failure"}
# Values ElevenLabs fills from the call (system__caller_id…); they pick the customer and are
# never passed to a tool as arguments.
BINDING_KEYS = {"caller_id", "called_number", "conversation_id", "direction", "call_sid"}
MAX_POST_CALL_BYTES = 16 * 1024 * 1024  # a long call with tool results and analysis fits
MAX_CALL_BODY_BYTES = 64 * 1024  # call start and live tools: a few fields
SHARED_SECRET_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not strict JSON, or a form that cannot be read"},
    401: {"description": "Missing or wrong X-Hilo-Secret"},
    413: {"description": "The body is larger than 64 KiB"},
    422: {"description": "No caller_id, an invalid phone, or arguments the tool refuses"},
    503: {"description": "HILO_TOOLS_SECRET is not set"},
}


@router.post(
    "/webhooks/elevenlabs/post-call",
    responses={
        400: {"description": "Not strict JSON (NaN, a lone surrogate, nesting past 64)"},
        401: {"description": "Missing, malformed, stale or wrong ElevenLabs-Signature"},
        413: {"description": "The body is larger than 16 MiB"},
        422: {"description": "Not a post-call event Hilo can store"},
        503: {"description": "ELEVENLABS_WEBHOOK_SECRET is not set"},
    },
)
async def post_call(request: Request, services: Services = Depends(get_services)) -> Any:
    secret = services.settings.elevenlabs_webhook_secret
    if secret is None:
        raise HTTPException(503, "set ELEVENLABS_WEBHOOK_SECRET to receive post-call webhooks")
    raw = await read_body(request, MAX_POST_CALL_BYTES)
    try:
        verify_elevenlabs_signature(
            raw, request.headers.get("ElevenLabs-Signature"), secret.get_secret_value()
        )
    except InvalidSignature as exc:
        raise HTTPException(401, f"invalid ElevenLabs signature: {exc}") from exc
    payload = parse_json(raw)
    event_type = payload.get("type") if isinstance(payload, dict) else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if event_type not in EVENT_TYPES or not isinstance(data, dict):
        raise HTTPException(
            422, f"unsupported event: type must be one of {sorted(EVENT_TYPES)} with a data object"
        )
    conversation_id = data.get("conversation_id")
    if not conversation_id:
        raise HTTPException(422, "data.conversation_id is required")
    if event_type == "post_call_transcription":
        try:  # what the ingest job will read: refused here, not failed there
            call_record(payload)
        except InvalidPayload as exc:
            raise HTTPException(422, str(exc)) from exc
    async with services.memory.pool.connection() as conn, conn.transaction():
        event_id = await record_event(
            conn, "elevenlabs", event_type, f"{event_type}:{conversation_id}", payload
        )
        if event_id is not None and event_type != "post_call_audio":
            await enqueue(conn, INGEST, event_id=event_id)
    return {"status": "accepted" if event_id is not None else "duplicate"}


def check_shared_secret(request: Request, services: Services) -> None:
    secret = services.settings.tools_secret
    if secret is None:
        raise HTTPException(503, "set HILO_TOOLS_SECRET to use ElevenLabs tools and call start")
    given = (
        request.headers.get("X-Hilo-Secret")
        or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    )
    if not same_secret(given, secret.get_secret_value()):  # bytes: any header value compares
        raise HTTPException(401, "missing or wrong shared secret")


async def _request_fields(request: Request) -> dict[str, Any]:
    """The body as fields. ElevenLabs documents the fields (caller_id, agent_id,
    called_number, call_sid) but not the encoding: JSON is expected, a form-encoded body is
    read too rather than refused. Bounded, strict, without NULs (`server.bodies`)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return without_nul(parse_form(await read_body(request, MAX_CALL_BODY_BYTES)))
    return await json_object(request, MAX_CALL_BODY_BYTES)


@router.post("/webhooks/elevenlabs/conversation-init", responses=SHARED_SECRET_REFUSALS)
async def conversation_init(request: Request, services: Services = Depends(get_services)) -> Any:
    check_shared_secret(request, services)
    body = await _request_fields(request)
    caller = body.get("caller_id")
    if not caller:
        raise HTTPException(422, "caller_id is required")
    try:
        customer = await get_or_create_customer(services.memory, str(caller))
    except InvalidPhone as exc:
        raise HTTPException(422, f"caller_id is not a valid phone number: {exc}") from exc
    context = await customer_context(services.memory, customer.id, recent=8)
    whatsapp = [f"{m.role}: {m.text}" for m in context.recent_messages if m.channel == "whatsapp"]
    variables = {
        "customer_name": customer.name or "",
        "last_summary": (context.last_call.summary or "") if context.last_call else "",
        "pending_questions": "; ".join(context.pending_questions),
        "next_steps": "; ".join(
            context.agreed_next_steps + [a.description for a in context.next_actions]
        ),
        "recent_whatsapp": " | ".join(whatsapp[-6:]),
    }
    es = customer.language != "en"
    prompt = (
        "Contexto del cliente (de llamadas y WhatsApp anteriores): "
        if es
        else "Customer context (from earlier calls and WhatsApp): "
    ) + json.dumps(variables, ensure_ascii=False)
    first = (
        (f"Hola {customer.name}, " if customer.name else "Hola, ") + "¿en qué te puedo ayudar?"
        if es
        else (f"Hi {customer.name}, " if customer.name else "Hi, ") + "how can I help?"
    )
    return JSONResponse(
        {
            "type": "conversation_initiation_client_data",
            "dynamic_variables": variables,
            "conversation_config_override": {
                "agent": {
                    "prompt": {"prompt": prompt},
                    "first_message": first,
                    "language": customer.language,
                }
            },
        }
    )


@router.post(
    "/elevenlabs/tools/{tool}",
    responses={**SHARED_SECRET_REFUSALS, 404: {"description": "No tool has this name"}},
)
async def live_tool(tool: str, request: Request, services: Services = Depends(get_services)) -> Any:
    check_shared_secret(request, services)
    body = await _request_fields(request)
    caller = body.get("caller_id") or body.get("called_number")
    if body.get("direction") == "outbound" and body.get("called_number"):
        caller = body["called_number"]
    if not caller:
        raise HTTPException(422, "caller_id is required (bind it to system__caller_id)")
    try:
        customer = await get_or_create_customer(services.memory, str(caller))
    except InvalidPhone as exc:
        raise HTTPException(422, f"caller_id is not a valid phone number: {exc}") from exc
    args = {k: v for k, v in body.items() if k not in BINDING_KEYS}
    deps = ToolDeps(
        memory=services.memory,
        customer_id=customer.id,
        channel="voice",
        sender=QueuedSender(services.memory),
        notifier=services.agent.notifier or NullNotifier(),
        language=customer.language,
    )
    try:
        return await invoke_tool(tool, args, deps)
    except UnknownTool as exc:
        raise HTTPException(404, str(exc)) from exc
    except InvalidToolArgs as exc:
        raise HTTPException(422, str(exc)) from exc
