"""ElevenLabs routes: the post-call webhook, call start (dynamic variables), live server tools.

Each verifies, reads its body (`channels.elevenlabs` parses it), calls one function and
answers; refusals the parsers raise (`InvalidPayload`, `InvalidPhone`) become 422 in the app's
exception handlers.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from agent.tool_deps import tool_deps
from channels.elevenlabs import (
    InvalidSignature,
    post_call_event,
    tool_arguments,
    tool_caller,
    verify_elevenlabs_signature,
)
from channels.elevenlabs_start import start_call
from config import Settings
from memory import get_or_create_customer
from server.auth import same_secret
from server.bodies import json_object, parse_form, parse_json, read_body, without_nul
from server.deps import AgentDep, MemoryDep, SettingsDep
from server.jobs.events import accept_event
from server.openapi import FORM, JSON, document_body
from server.webhook_bodies import TOOL_REQUESTS, ConversationInit, ElevenLabsPostCall
from tools.registry import InvalidToolArgs, UnknownTool, invoke_tool

router = APIRouter(tags=["elevenlabs"])
log = logging.getLogger(__name__)
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
async def post_call(request: Request, memory: MemoryDep, settings: SettingsDep) -> Any:
    secret = settings.elevenlabs_webhook_secret
    if secret is None:
        raise HTTPException(503, "set ELEVENLABS_WEBHOOK_SECRET to receive post-call webhooks")
    raw = await read_body(request, MAX_POST_CALL_BYTES)
    try:
        verify_elevenlabs_signature(
            raw, request.headers.get("ElevenLabs-Signature"), secret.get_secret_value()
        )
    except InvalidSignature as exc:
        raise HTTPException(401, f"invalid ElevenLabs signature: {exc}") from exc
    event = post_call_event(parse_json(raw))
    event_id = await accept_event(memory, "elevenlabs", event.event_type, event.key, event.payload)
    return {"status": "accepted" if event_id is not None else "duplicate"}


def check_shared_secret(request: Request, settings: Settings) -> None:
    secret = settings.tools_secret
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
async def conversation_init(request: Request, memory: MemoryDep, settings: SettingsDep) -> Any:
    check_shared_secret(request, settings)
    fields = await _request_fields(request)
    caller = fields.get("caller_id")
    if not caller:
        raise HTTPException(422, "caller_id is required")
    call_sid = fields.get("call_sid")
    return JSONResponse(
        await start_call(
            memory,
            str(caller),
            call_sid=call_sid if isinstance(call_sid, str) else None,
            token_ttl=settings.call_token_ttl if settings.llm_secret else None,
        )
    )


async def run_live_tool(
    tool: str, request: Request, agent: AgentDep, settings: SettingsDep
) -> dict[str, Any]:
    """A live tool for the call's customer: verify, bind the caller, run the shared tool code."""
    check_shared_secret(request, settings)
    fields = await _request_fields(request)
    caller = tool_caller(fields)
    if not caller:
        raise HTTPException(422, "caller_id is required (bind it to system__caller_id)")
    customer = await get_or_create_customer(agent.memory, caller)
    deps = tool_deps(agent, customer.id, channel="voice", language=customer.language)
    try:
        return await invoke_tool(tool, tool_arguments(fields), deps)
    except UnknownTool as exc:
        raise HTTPException(404, str(exc)) from exc
    except InvalidToolArgs as exc:
        raise HTTPException(422, str(exc)) from exc


def _tool_route(name: str) -> Any:
    async def live_tool(request: Request, agent: AgentDep, settings: SettingsDep) -> Any:
        return await run_live_tool(name, request, agent, settings)

    live_tool.__name__ = f"live_tool_{name}"
    return live_tool


# One route per tool, so the API description has each tool's own request body; the path
# template below answers any other name with 404 (and is left out of the description).
for _name, _model in TOOL_REQUESTS.items():
    _path = f"/elevenlabs/tools/{_name}"
    router.add_api_route(
        _path,
        _tool_route(_name),
        methods=["POST"],
        summary=f"Live tool: {_name}",
        description=_model.__doc__ or "",
        responses=SHARED_SECRET_REFUSALS,
        tags=["elevenlabs live tools"],
    )
    document_body(_path, _model, (JSON, FORM))


@router.post("/elevenlabs/tools/{tool}", include_in_schema=False)
async def unknown_live_tool(
    tool: str, request: Request, agent: AgentDep, settings: SettingsDep
) -> Any:
    return await run_live_tool(tool, request, agent, settings)


document_body("/webhooks/elevenlabs/post-call", ElevenLabsPostCall)
document_body("/webhooks/elevenlabs/conversation-init", ConversationInit, (JSON, FORM))
