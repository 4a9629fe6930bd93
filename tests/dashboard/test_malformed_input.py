"""Malformed input is answered 4xx, never 500: NULs are removed from what is stored (a signed
message carrying one is still processed), strict JSON is required of the post-call webhook,
ids and offsets are bounded, and odd signature headers, secrets and sign-in emails are
refused cleanly."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from channels.elevenlabs import sign_elevenlabs
from memory import get_or_create_customer
from tests.channels.conftest import inbound_form, post_signed, wait_until
from tests.channels.test_elevenlabs import post_call_payload
from tests.dashboard.conftest import EMAIL, sign_in

PHONE = "+573001112233"
SECRET = "wsec_test_not_a_secret"
TOOLS = {"X-Hilo-Secret": "tools-secret-for-tests"}
BIG = 2**63


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(
        update={
            "elevenlabs_webhook_secret": SecretStr(SECRET),
            "tools_secret": SecretStr(TOOLS["X-Hilo-Secret"]),
        }
    )


def one(url: str, sql: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


async def signed_post_call(client, raw: bytes, signature: str | bytes | None = None):
    return await client.post(
        "/webhooks/elevenlabs/post-call",
        content=raw,
        headers={"ElevenLabs-Signature": signature or sign_elevenlabs(raw, SECRET)},
    )


async def test_a_signed_whatsapp_message_with_nuls_is_processed_without_them(
    client, services, fake_twilio
):
    form = inbound_form("SM" + "8" * 32, "Hola\x00, ¿cuánto cuesta?", ProfileName="A\x00na")
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200

    async def replied():
        return len(fake_twilio.messages) == 1

    await wait_until(replied)
    url = services.memory.url
    assert one(url, "SELECT text FROM messages WHERE role = 'customer'") == "Hola, ¿cuánto cuesta?"
    assert one(url, "SELECT name FROM customers") == "Ana"


async def test_a_post_call_with_nuls_is_stored_without_them(client, services):
    payload = post_call_payload()
    payload["data"]["transcript"][1]["message"] = "Hola,\x00 sí."
    assert (await signed_post_call(client, json.dumps(payload).encode())).status_code == 200
    stored = one(services.memory.url, "SELECT payload::text FROM webhook_events")
    assert "\\u0000" not in stored and "Hola, sí." in stored


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "post_call_transcription", "data": {"conversation_id": "\\ud800"}}',
        b'{"type": "post_call_transcription", "data": {"x": NaN}}',
        b'{"type": "post_call_transcription", "data": {"x": -Infinity}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": ' * 100 + b"1" + b"}" * 100,
        b"\xff\xfe not utf-8",
    ],
    ids=["lone-surrogate", "nan", "infinity", "deep-100000", "deep-100", "not-utf8"],
)
async def test_post_call_bodies_that_are_not_strict_json_are_400(client, services, raw):
    assert (await signed_post_call(client, raw)).status_code == 400
    assert one(services.memory.url, "SELECT count(*) FROM webhook_events") == 0


@pytest.mark.parametrize("stamp", ["²", "1" * 400, "-5", " 1"])
async def test_odd_signature_timestamps_are_refused(client, stamp):
    raw = json.dumps(post_call_payload()).encode()
    digest = sign_elevenlabs(raw, SECRET).split("v0=")[1]
    answer = await signed_post_call(client, raw, f"t={stamp},v0={digest}".encode())
    assert answer.status_code == 401


async def test_a_non_ascii_signature_digest_is_refused(client):
    raw = json.dumps(post_call_payload()).encode()
    stamp = sign_elevenlabs(raw, SECRET).split(",")[0]
    answer = await signed_post_call(client, raw, f"{stamp},v0=éé".encode())
    assert answer.status_code == 401


@pytest.mark.parametrize(
    "path", ["/elevenlabs/tools/get_customer_context", "/webhooks/elevenlabs/conversation-init"]
)
async def test_a_non_ascii_shared_secret_is_refused(client, path):
    answer = await client.post(
        path, json={"caller_id": PHONE}, headers={"X-Hilo-Secret": "cl\xe9".encode("latin-1")}
    )
    assert answer.status_code == 401


async def test_nuls_in_live_tool_arguments_are_removed(client, services):
    for body in (
        {"json": {"caller_id": PHONE, "description": "Enviar\u0000 cotización"}},
        {"data": {"caller_id": PHONE, "description": "Llamar\x00 el lunes"}},
    ):
        answer = await client.post("/elevenlabs/tools/update_next_action", headers=TOOLS, **body)
        assert answer.status_code == 200, answer.text
    with psycopg.connect(services.memory.url) as conn:
        texts = [r[0] for r in conn.execute("SELECT description FROM next_actions ORDER BY id")]
    assert texts == ["Enviar cotización", "Llamar el lunes"]


async def test_nuls_in_api_fields_are_removed(api, services):
    cid = (await get_or_create_customer(services.memory, PHONE, name="Ana")).id
    made = await api.post(
        f"/api/customers/{cid}/next-actions", json={"description": "Enviar\x00 la cotización"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["next_action"]["description"] == "Enviar la cotización"
    escalated = await api.post(f"/api/customers/{cid}/escalations", json={"reason": "que\x00ja"})
    assert escalated.status_code == 201 and escalated.json()["escalation"]["reason"] == "queja"
    assert (await api.get("/api/customers", params={"q": "An\x00a"})).status_code == 200


async def test_a_lone_surrogate_in_an_api_field_is_422(api, services):
    cid = (await get_or_create_customer(services.memory, PHONE)).id
    answer = await api.post(
        f"/api/customers/{cid}/next-actions",
        content=b'{"description": "la \\ud800cotizaci\\u00f3n"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422 and "description" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/customers?offset={big}",
        "/api/customers/1/timeline?before_id={big}",
        "/api/customers/{big}",
        "/api/customers/{big}/next-actions",
        "/api/customers/1/next-actions/{big}",
        "/api/escalations/{big}/take",
    ],
)
async def test_ints_past_bigint_are_422(api, services, path):
    await get_or_create_customer(services.memory, PHONE)
    url = path.format(big=BIG)
    method = "PATCH" if "next-actions/" in url else ("POST" if url.endswith("take") else "GET")
    answer = await api.request(method, url, json={} if method != "GET" else None)
    assert answer.status_code == 422, answer.text


async def test_a_nul_in_the_sign_in_email_is_a_wrong_sign_in(client, operator):
    assert (await sign_in(client, email=EMAIL + "\x00")).status_code == 401
