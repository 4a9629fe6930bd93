"""Hilo as the ElevenLabs agent's Custom LLM: the OpenAI wire format, and who may ask."""

from __future__ import annotations

import base64
import json
import time

import psycopg
import pytest
from pydantic import SecretStr

from channels.call_token import call_token_key, sign_call_token
from tests.voice.conftest import (
    LLM_SECRET,
    PHONE,
    call_token,
    chat,
    chat_body,
    spoken_text,
    sse_events,
    start_inbound_call,
)

HELLO = [("agent", "Hola Ana, ¿en qué te puedo ayudar?"), ("user", "Hola, ¿a qué hora abren?")]


def live_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM interactions WHERE call_ref IS NOT NULL"
        ).fetchone()[0]


async def test_streamed_answer_is_openai_chunks_with_usage_and_done(client):
    token = call_token(await start_inbound_call(client))
    response = await chat(client, chat_body(token, HELLO))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content) >= 2, "the answer streams in pieces"
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finish[-1] == "stop" and set(finish[:-1]) == {None}
    usage = chunks[-1]
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] > 0
    assert spoken_text(events).strip()


async def test_unstreamed_answer_is_one_chat_completion(client):
    token = call_token(await start_inbound_call(client))
    response = await chat(client, chat_body(token, HELLO, stream=False))
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].strip()


async def test_call_start_issues_a_token_only_when_hilo_is_the_custom_llm(client, services):
    assert call_token(await start_inbound_call(client)).startswith("hc1.")
    services.settings.llm_secret = None
    try:
        assert "custom_llm_extra_body" not in await start_inbound_call(client)
    finally:
        services.settings.llm_secret = SecretStr(LLM_SECRET)


def _tampered(token: str) -> str:
    version, payload, mac = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["c"] += 1  # another customer, same MAC
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{version}.{forged}.{mac}"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no bearer", 401, "invalid_api_key"),
        ("wrong bearer", 401, "invalid_api_key"),
        ("no token", 403, "call_not_bound"),
        ("expired token", 403, "call_not_bound"),
        ("tampered token", 403, "call_not_bound"),
        ("another caller's token", 403, "call_not_bound"),
        ("not a token", 403, "call_not_bound"),
    ],
)
async def test_requests_not_bound_to_the_call_are_refused_and_recall_nothing(
    client, services, case, status, code
):
    token = call_token(await start_inbound_call(client))
    secret: str | None = LLM_SECRET
    extra = None
    if case == "no bearer":
        secret = None
    elif case == "wrong bearer":
        secret = "not-the-secret"
    elif case == "no token":
        token = None
    elif case == "expired token":
        key = await call_token_key(services.memory)
        customer_id = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["c"]
        token = sign_call_token(key, customer_id, "CAold", int(time.time()) - 1)
    elif case == "tampered token":
        await start_inbound_call(client, "+573009998877", call_sid="CA" + "2" * 32)
        token = _tampered(token)
    elif case == "another caller's token":
        extra = {"caller_id": "+573009998877"}  # the call's caller is not the token's customer
    elif case == "not a token":
        token = "hc1.bm90.aGVsbG8"
    response = await chat(client, chat_body(token, HELLO, extra=extra), secret=secret)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert live_rows(services.memory.url) == 0, "nothing stored for a refused request"


async def test_the_token_with_its_own_caller_is_accepted(client):
    token = call_token(await start_inbound_call(client))
    response = await chat(client, chat_body(token, HELLO, extra={"system__caller_id": PHONE}))
    assert response.status_code == 200


async def test_without_the_secret_set_the_endpoint_says_so(client, services):
    services.settings.llm_secret = None
    try:
        response = await chat(client, chat_body("x", HELLO))
    finally:
        services.settings.llm_secret = SecretStr(LLM_SECRET)
    assert response.status_code == 503
    assert "HILO_LLM_SECRET" in response.json()["error"]["message"]


async def test_a_body_that_is_not_a_chat_request_is_refused_clearly(client):
    token = call_token(await start_inbound_call(client))
    body = chat_body(token, HELLO)
    body["messages"] = "hola"
    response = await chat(client, body)
    assert response.status_code == 422
    assert "messages" in response.json()["error"]["message"]
