"""Voice fixtures: the whole app (real services, an in-process worker) with Hilo as the Custom
LLM, and helpers that drive it as ElevenLabs does: the call-start webhook issues the call's
`hilo_call` token, every spoken turn is a Chat Completions request carrying the call so far."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent.voice import stored_answers
from server.app import create_app
from server.services import start_services
from tests.agent.fake_openai import FakeOpenAI, text
from tests.channels.conftest import (  # noqa: F401 - fixtures: WhatsApp over a fake Twilio
    BASE,
    fake_twilio,
    twilio_settings,
)

LLM_SECRET = "llm-secret-for-tests"
TOOLS_SECRET = "tools-secret-for-tests"
WEBHOOK_SECRET = "wsec_test_not_a_secret"
PHONE = "+573001112233"
# What ElevenLabs sends as the agent's system tools (its Custom LLM guide's example request).
END_CALL = {
    "type": "function",
    "function": {
        "name": "end_call",
        "description": "Call this function to end the current conversation.",
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "description": "The reason for the tool call."},
                "message": {"type": "string", "description": "A farewell message."},
            },
            "required": ["reason"],
        },
    },
}


@pytest.fixture
def openai_upstream() -> Iterator[FakeOpenAI]:
    """The upstream model as a local OpenAI-compatible server (a test sets its `responder`);
    asking for it makes the app's agent ChatOpenAI on it instead of the rules model."""
    with FakeOpenAI(lambda body: text("Claro.")) as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def voice_settings(twilio_settings, request):  # noqa: F811
    update: dict[str, Any] = {
        "llm_secret": SecretStr(LLM_SECRET),
        "tools_secret": SecretStr(TOOLS_SECRET),
        "elevenlabs_webhook_secret": SecretStr(WEBHOOK_SECRET),
    }
    if "openai_upstream" in request.fixturenames:
        fake = request.getfixturevalue("openai_upstream")
        update.update(
            {"llm": "openai", "openai_api_key": SecretStr("sk-test"),
             "openai_base_url": fake.base_url, "max_agent_steps": 4}
        )  # fmt: skip
    return twilio_settings.model_copy(update=update)


@pytest.fixture
async def services(voice_settings) -> AsyncIterator[Any]:
    svc = await start_services(voice_settings)
    await svc.start_worker(concurrency=2)
    yield svc
    await stored_answers()
    await svc.close()


@pytest.fixture
async def client(services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=30
    ) as http:
        yield http


async def start_inbound_call(
    client: httpx.AsyncClient, phone: str = PHONE, call_sid: str = "CA" + "1" * 32
) -> dict[str, Any]:
    """The call-start webhook's answer for an inbound call from `phone`."""
    response = await client.post(
        "/webhooks/elevenlabs/conversation-init",
        json={"caller_id": phone, "agent_id": "agent_x", "called_number": "+14155550100",
              "call_sid": call_sid},
        headers={"X-Hilo-Secret": TOOLS_SECRET},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def call_token(start: dict[str, Any]) -> str:
    return start["custom_llm_extra_body"]["hilo_call"]


def chat_body(
    token: str | None,
    turns: list[tuple[str, str]],
    *,
    stream: bool = True,
    tools: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Custom LLM request as ElevenLabs sends it: its system prompt, the call so far."""
    roles = {"agent": "assistant", "user": "user"}
    body: dict[str, Any] = {
        "messages": [{"role": "system", "content": "You are a helpful voice agent."}]
        + [{"role": roles[r], "content": t} for r, t in turns],
        "model": "hilo",
        "temperature": 0.5,
        "max_tokens": 5000,
        "stream": stream,
        "tools": tools or [],
        "parallel_tool_calls": False,
        "stream_options": {"include_usage": True},
        "elevenlabs_extra_body": {**({"hilo_call": token} if token else {}), **(extra or {})},
    }
    return body


async def chat(
    client: httpx.AsyncClient, body: dict[str, Any], *, secret: str | None = LLM_SECRET
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return await client.post("/v1/chat/completions", json=body, headers=headers)


def sse_events(response: httpx.Response) -> list[Any]:
    """The `data:` payloads of an event stream, JSON-decoded ("[DONE]" kept as it is)."""
    out: list[Any] = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        assert block.startswith("data: "), block
        data = block[len("data: ") :]
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


def spoken_text(events: list[Any]) -> str:
    return "".join(
        e["choices"][0]["delta"].get("content") or ""
        for e in events
        if isinstance(e, dict) and e.get("choices")
    )
