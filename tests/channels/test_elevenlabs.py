"""ElevenLabs: signed post-call webhooks are ingested once with one follow-up; call start and
live tools serve the caller's own memory only."""

from __future__ import annotations

import json
import time

import psycopg
import pytest
from pydantic import SecretStr

from channels.elevenlabs import sign_elevenlabs
from tests.channels.conftest import inbound_form, post_signed, wait_until

SECRET = "wsec_test_not_a_secret"
TOOLS_SECRET = "tools-secret-for-tests"


@pytest.fixture
def twilio_settings(twilio_settings):
    secrets = {
        "elevenlabs_webhook_secret": SecretStr(SECRET),
        "tools_secret": SecretStr(TOOLS_SECRET),
    }
    return twilio_settings.model_copy(update=secrets)


def post_call_payload(conversation_id: str = "conv_01", phone: str = "+573001112233") -> dict:
    turns = [
        ("agent", "Hola Ana, te llamo de Sol Andino por los paneles solares."),
        ("user", "Hola, sí. Quiero paneles para mi casa en Chía."),
        ("agent", "¿Cuánto podrían pagar al mes?"),
        ("user", "Unos 500 mil pesos como máximo."),
        ("agent", "Perfecto, te envío la cotización el jueves por WhatsApp."),
        ("user", "¿La instalación incluye el inversor?"),
        ("agent", "Lo verifico con el equipo técnico y te confirmo."),
    ]
    return {
        "type": "post_call_transcription",
        "event_timestamp": int(time.time()),
        "data": {
            "agent_id": "agent_x",
            "conversation_id": conversation_id,
            "status": "done",
            "transcript": [
                {
                    "role": r,
                    "message": m,
                    "tool_calls": [],
                    "tool_results": [],
                    "feedback": None,
                    "time_in_call_secs": i * 6,
                    "conversation_turn_metrics": None,
                    "brand_new": 1,
                }
                for i, (r, m) in enumerate(turns)
            ],
            "metadata": {
                "start_time_unix_secs": int(time.time()) - 60,
                "call_duration_secs": 48,
                "main_language": "es",
                "phone_call": {
                    "type": "twilio",
                    "direction": "outbound",
                    "phone_number_id": "pn_x",
                    "agent_number": "+14155550100",
                    "external_number": phone,
                    "call_sid": "CAx",
                    "stream_sid": "MZx",
                },
            },
            "analysis": {
                "call_successful": "success",
                "transcript_summary": "Ana quiere paneles solares en Chía, "
                "presupuesto 500 mil al mes.",
                "evaluation_criteria_results": {},
                "data_collection_results": {},
            },
            "conversation_initiation_client_data": {"dynamic_variables": {"customer_name": "Ana"}},
            "has_audio": True,
            "some_future_field": {"x": 1},
        },
    }


async def post_call(
    client, payload: dict, *, secret: str = SECRET, at: int | None = None, header: str | None = None
):
    raw = json.dumps(payload).encode()
    sig = header if header is not None else sign_elevenlabs(raw, secret, at)
    return await client.post(
        "/webhooks/elevenlabs/post-call",
        content=raw,
        headers={"ElevenLabs-Signature": sig, "Content-Type": "application/json"},
    )


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


async def jobs_done(url: str) -> bool:
    return (
        count(url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo','doing')") == 0
    )


async def test_post_call_delivered_three_times_ingests_once_and_follows_up_once(
    client, services, fake_twilio
):
    for _ in range(3):
        response = await post_call(client, post_call_payload())
        assert response.status_code == 200
    await wait_until(lambda: jobs_done(services.memory.url), timeout=30)
    url = services.memory.url
    assert count(url, "SELECT count(*) FROM interactions WHERE channel='call'") == 1
    assert count(url, "SELECT count(*) FROM messages WHERE channel='call'") == 7
    assert count(url, "SELECT count(*) FROM messages WHERE meta ? 'followup_for'") == 1
    assert count(url, "SELECT count(*) FROM insights WHERE kind='pending_question'") == 1
    # Outside the 24 h window with no approved template: recorded, not sent as free text.
    assert fake_twilio.messages == []
    assert count(url, "SELECT count(*) FROM messages WHERE error_code='63016'") == 1


async def test_followup_inside_the_window_is_free_text_with_the_call(client, services, fake_twilio):
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "c" * 32, "Hola"))
    await wait_until(lambda: jobs_done(services.memory.url))
    await post_call(client, post_call_payload())
    await wait_until(lambda: jobs_done(services.memory.url), timeout=30)
    followup = fake_twilio.messages[-1]["Body"]
    assert "Ana" in followup and "Chía" in followup and "inversor" in followup


@pytest.mark.parametrize("case", ["forged", "missing", "stale", "future"])
async def test_refused_post_call_signatures_store_nothing(client, services, case):
    payload = post_call_payload()
    if case == "forged":
        response = await post_call(client, payload, secret="wrong")
    elif case == "missing":
        response = await post_call(client, payload, header="")
    elif case == "stale":
        response = await post_call(client, payload, at=int(time.time()) - 31 * 60)
    else:
        response = await post_call(client, payload, at=int(time.time()) + 31 * 60)
    assert response.status_code == 401
    assert count(services.memory.url, "SELECT count(*) FROM webhook_events") == 0


async def test_malformed_post_call_bodies_get_clear_errors(client):
    assert (await post_call(client, {"type": "something_else", "data": {}})).status_code == 422
    bad = post_call_payload()
    del bad["data"]["transcript"]
    response = await post_call(client, bad)
    assert response.status_code == 422 and "transcript" in response.text


async def test_call_start_after_whatsapp_returns_that_chat(client, services):
    await post_signed(
        client,
        "/webhooks/twilio/whatsapp",
        inbound_form("SM" + "d" * 32, "Mi techo es de teja de barro"),
    )
    await wait_until(lambda: jobs_done(services.memory.url))
    response = await client.post(
        "/webhooks/elevenlabs/conversation-init",
        json={
            "caller_id": "+573001112233",
            "agent_id": "agent_x",
            "called_number": "+14155550100",
            "call_sid": "CAx",
        },
        headers={"X-Hilo-Secret": TOOLS_SECRET},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "conversation_initiation_client_data"
    assert "teja de barro" in body["dynamic_variables"]["recent_whatsapp"]
    assert "teja de barro" in body["conversation_config_override"]["agent"]["prompt"]["prompt"]
    assert set(body["dynamic_variables"]) == {
        "customer_name",
        "last_summary",
        "pending_questions",
        "next_steps",
        "recent_whatsapp",
    }


async def test_call_start_reads_a_form_encoded_body_and_refuses_a_missing_caller(client):
    headers = {"X-Hilo-Secret": TOOLS_SECRET}
    form = {"caller_id": "+573001112233", "agent_id": "agent_x", "call_sid": "CAy"}
    response = await client.post(
        "/webhooks/elevenlabs/conversation-init", data=form, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["type"] == "conversation_initiation_client_data"
    missing = await client.post(
        "/webhooks/elevenlabs/conversation-init", data={"agent_id": "agent_x"}, headers=headers
    )
    assert missing.status_code == 422 and "caller_id" in missing.text


async def test_live_tools_answer_for_the_caller_only(client, services):
    await post_call(client, post_call_payload("conv_ana", "+573001112233"))
    await post_call(client, post_call_payload("conv_other", "+573009998877"))
    await wait_until(lambda: jobs_done(services.memory.url), timeout=30)
    headers = {"X-Hilo-Secret": TOOLS_SECRET}
    response = await client.post(
        "/elevenlabs/tools/recall_conversations",
        headers=headers,
        json={"caller_id": "+573001112233", "query": "presupuesto"},
    )
    assert response.status_code == 200
    with psycopg.connect(services.memory.url) as conn:
        ana_interactions = {
            r[0]
            for r in conn.execute(
                "SELECT i.id FROM interactions i JOIN customers c ON c.id = i.customer_id "
                "WHERE c.phone = '+573001112233'"
            ).fetchall()
        }
    results = response.json()["results"]
    assert results and {r["interaction_id"] for r in results} <= ana_interactions


async def test_live_tools_refuse_bad_requests(client):
    headers = {"X-Hilo-Secret": TOOLS_SECRET}
    assert (
        await client.post(
            "/elevenlabs/tools/recall_conversations",
            json={"caller_id": "+573001112233", "query": "x"},
        )
    ).status_code == 401
    assert (
        await client.post(
            "/elevenlabs/tools/nope", headers=headers, json={"caller_id": "+573001112233"}
        )
    ).status_code == 404
    bad = await client.post(
        "/elevenlabs/tools/schedule_callback",
        headers=headers,
        json={"caller_id": "+573001112233", "when": "no es una fecha"},
    )
    assert bad.status_code == 422 and "when" in bad.text


async def test_call_initiation_failure_records_the_attempt_and_a_retry(client, services):
    payload = {
        "type": "call_initiation_failure",
        "event_timestamp": int(time.time()),
        "data": {
            "agent_id": "agent_x",
            "conversation_id": "conv_fail",
            "failure_reason": "busy",
            "metadata": {
                "type": "twilio",
                "phone_call": {"type": "twilio", "external_number": "+573001112233"},
                "new_field": True,
            },
        },
    }
    for _ in range(2):
        assert (await post_call(client, payload)).status_code == 200
    await wait_until(lambda: jobs_done(services.memory.url))
    url = services.memory.url
    assert count(url, "SELECT count(*) FROM interactions WHERE status='failed'") == 1
    assert (
        count(
            url, "SELECT count(*) FROM next_actions WHERE type='call' AND description LIKE '%busy%'"
        )
        == 1
    )
