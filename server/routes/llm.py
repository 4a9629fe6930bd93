"""`POST /v1/chat/completions`: Hilo as the voice agent's Custom LLM (ElevenLabs, or any
platform that speaks OpenAI Chat Completions).

Verify the bearer secret (`HILO_LLM_SECRET`), read the request (`server.chat_completions`),
bind the call to its customer from the `hilo_call` token Hilo issued (`channels.call_token`),
then answer with the spoken turn (`agent.voice.voice_turn`), streamed or whole. Refusals use
OpenAI's error shape: 503 when the secret is not set, 401 for a missing or wrong bearer, 403
when the call is not bound (no token, expired, not Hilo's, another caller's), 422 for a body
that is not a chat request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from agent.voice import VoiceCall, buffered, voice_turn
from agent.voice_prompt import buffer_phrase
from channels.call_token import CallRefused, bind_call
from memory.phases import phase, start_phases
from server.auth import same_secret
from server.bodies import json_object
from server.chat_completions import BadChatRequest, Completion, openai_error, read_chat_request
from server.deps import AgentDep, SettingsDep

router = APIRouter(tags=["custom-llm"])
MAX_BODY_BYTES = 1 << 20  # a long call's whole dialogue, the platform's prompt and its tools


@router.post(
    "/v1/chat/completions",
    responses={
        200: {"description": "A chat.completion, or text/event-stream chunks when stream=true"},
        400: {"description": "Not strict JSON"},
        401: {"description": "Missing or wrong Authorization: Bearer HILO_LLM_SECRET"},
        403: {
            "description": "elevenlabs_extra_body.hilo_call missing, expired, not Hilo's, "
            "or used by another caller"
        },  # fmt: skip
        413: {"description": "The body is larger than 1 MiB"},
        422: {"description": "Not a chat completions request"},
        503: {"description": "HILO_LLM_SECRET is not set"},
    },
)
async def chat_completions(request: Request, agent: AgentDep, settings: SettingsDep) -> Any:
    phases = start_phases()  # the work before the model, timed (`memory.phases`)
    secret = settings.llm_secret
    if secret is None:
        return openai_error(
            503, "set HILO_LLM_SECRET to use Hilo as a Custom LLM", "server_error", "not_configured"
        )
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not same_secret(token.strip(), secret.get_secret_value()):
        return openai_error(
            401, "missing or wrong bearer secret", "authentication_error", "invalid_api_key"
        )
    try:
        chat = read_chat_request(await json_object(request, MAX_BODY_BYTES))
    except BadChatRequest as exc:
        return openai_error(422, str(exc), "invalid_request_error", "invalid_request")
    phases.spans["request"] = phases.since_start()
    try:
        with phase("bind"):
            bound = await bind_call(agent.memory, chat.extra_body)
    except CallRefused as exc:
        return openai_error(403, str(exc), "permission_error", "call_not_bound")
    call = VoiceCall(
        bound.customer.id,
        bound.call_ref,
        chat.dialogue,
        chat.tools,
        customer=bound.customer,
        phases=phases,
    )
    events = buffered(
        voice_turn(agent, call),
        after=settings.llm_buffer_after,
        phrase=buffer_phrase(bound.customer.language),
    )
    completion = Completion(chat.model)
    if not chat.stream:
        return JSONResponse(await completion.whole(events))
    return StreamingResponse(
        completion.stream(events, include_usage=chat.include_usage),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
