"""A live call's turns are memory while the call goes on: stored as they are spoken, known on
WhatsApp at once, and completed (not stored again) by the post-call webhook."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from agent.voice import stored_answers
from channels.elevenlabs import sign_elevenlabs
from tests.channels.conftest import inbound_form, post_signed
from tests.voice.conftest import (
    PHONE,
    WEBHOOK_SECRET,
    call_token,
    chat,
    chat_body,
    spoken_text,
    sse_events,
    start_inbound_call,
)
from tests.waiting import wait_until, wait_until_drained

GREETING = "Hola Ana, ¿en qué te puedo ayudar?"
BUDGET = "Mi presupuesto es de 800 mil pesos al mes para los paneles."


def rows(url: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


async def speak(client, token: str, turns: list[tuple[str, str]]) -> str:
    """One spoken turn: the call so far in, Hilo's words out (what ElevenLabs would say)."""
    response = await chat(client, chat_body(token, turns))
    assert response.status_code == 200, response.text
    return spoken_text(sse_events(response))


async def call_with_budget(client) -> tuple[str, list[tuple[str, str]]]:
    token = call_token(await start_inbound_call(client))
    turns = [("agent", GREETING), ("user", BUDGET)]
    turns.append(("agent", await speak(client, token, turns)))
    turns.append(("user", "Perfecto, muchas gracias."))
    turns.append(("agent", await speak(client, token, turns)))
    await stored_answers()
    return token, turns


async def test_live_turns_are_stored_as_the_call_goes_on(client, services):
    _, turns = await call_with_budget(client)
    stored = rows(
        services.memory.url,
        "SELECT role, text FROM messages WHERE channel = 'call' ORDER BY seq, id",
    )
    assert stored == [("agent" if r == "agent" else "customer", t.strip()) for r, t in turns]
    (status,) = rows(services.memory.url, "SELECT status FROM interactions WHERE channel='call'")
    assert status == ("live",)


async def test_whatsapp_during_the_call_recalls_what_was_said_on_it(client, services, fake_twilio):
    await call_with_budget(client)
    form = inbound_form("SM" + "5" * 32, "¿Qué presupuesto te dije en la llamada?", phone=PHONE)
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until(lambda: len(fake_twilio.messages) == 1, timeout=30)
    assert "800" in fake_twilio.messages[0]["Body"]


def post_call_payload(token: str, turns: list[tuple[str, str]]) -> dict:
    now = int(time.time())
    return {
        "type": "post_call_transcription",
        "event_timestamp": now,
        "data": {
            "agent_id": "agent_x",
            "conversation_id": "conv_live_1",
            "status": "done",
            "transcript": [
                {
                    "role": "agent" if r == "agent" else "user",
                    "message": t,
                    "tool_calls": [],
                    "tool_results": [],
                    "feedback": None,
                    "time_in_call_secs": i * 5,
                    "conversation_turn_metrics": None,
                }
                for i, (r, t) in enumerate(turns)
            ],
            "metadata": {
                "start_time_unix_secs": now - 60,
                "call_duration_secs": 40,
                "phone_call": {
                    "type": "twilio",
                    "direction": "inbound",
                    "phone_number_id": "pn_x",
                    "agent_number": "+14155550100",
                    "external_number": PHONE,
                    "call_sid": "CA" + "1" * 32,
                    "stream_sid": "MZx",
                },
            },
            "analysis": {"call_successful": "success", "transcript_summary": "Presupuesto."},
            "conversation_initiation_client_data": {
                "dynamic_variables": {"customer_name": "Ana"},
                "custom_llm_extra_body": {"hilo_call": token},
            },
        },
    }


async def post_call(client, payload: dict):
    raw = json.dumps(payload).encode()
    return await client.post(
        "/webhooks/elevenlabs/post-call",
        content=raw,
        headers={
            "ElevenLabs-Signature": sign_elevenlabs(raw, WEBHOOK_SECRET),
            "Content-Type": "application/json",
        },
    )


async def test_post_call_webhook_completes_the_live_call_without_duplicating_turns(
    client, services
):
    token, turns = await call_with_budget(client)
    heard = turns[:-1] + [("agent", turns[-1][1][: len(turns[-1][1]) // 2 + 12])]  # cut short
    transcript = heard + [("user", "Adiós."), ("agent", "Hasta luego, Ana.")]
    for _ in range(2):  # delivered twice
        assert (await post_call(client, post_call_payload(token, transcript))).status_code == 200
    await wait_until_drained(services.memory.url, timeout=40)
    url = services.memory.url
    calls = rows(url, "SELECT external_id, status, call_ref FROM interactions WHERE channel='call'")
    assert calls == [("conv_live_1", "done", "CA" + "1" * 32)]
    stored = rows(url, "SELECT role, text FROM messages WHERE channel='call' ORDER BY seq, id")
    assert stored == [("agent" if r == "agent" else "customer", t) for r, t in transcript]
    seqs = rows(url, "SELECT first_seq, last_seq FROM memory_chunks WHERE channel='call'")
    assert sorted(seqs) == [(0, 2), (2, 4), (4, 6)], "the call indexed once, from its transcript"
    followups = rows(url, "SELECT count(*) FROM messages WHERE meta ? 'followup_for'")
    assert followups == [(1,)]


async def test_the_same_request_twice_gets_the_same_answer_stored_once(client, services):
    token = call_token(await start_inbound_call(client))
    turns = [("agent", GREETING), ("user", BUDGET)]
    first = await speak(client, token, turns)
    await stored_answers()
    again = await speak(client, token, turns)
    await stored_answers()
    assert again == first
    answers = rows(services.memory.url, "SELECT count(*) FROM messages WHERE role = 'agent'")
    assert answers == [(2,)]  # the greeting and one answer


async def test_an_opted_out_caller_is_still_answered_on_the_call(client, services):
    from memory import get_or_create_customer, set_opted_out

    ana = await get_or_create_customer(services.memory, PHONE)
    await set_opted_out(services.memory, ana.id, True)
    token = call_token(await start_inbound_call(client))
    assert (await speak(client, token, [("agent", GREETING), ("user", BUDGET)])).strip()


async def test_an_answer_the_next_request_stored_first_is_still_indexed_once(services):
    # The store of an answer waits for the turns on their way to the model; the call's next
    # request (its dialogue holds the answer as heard) may store the message first.
    from memory import get_or_create_customer
    from memory.live_calls import LiveTurn, record_live_answer, record_live_turns

    ana = await get_or_create_customer(services.memory, PHONE)
    answer = "Con 800 mil al mes te sirve un sistema de cuatro paneles."
    heard = [LiveTurn(0, "agent", GREETING), LiveTurn(1, "customer", BUDGET)]
    relayed = [*heard, LiveTurn(2, "agent", answer), LiveTurn(3, "customer", "¿Y la garantía?")]
    await record_live_turns(services.memory, ana.id, "CAraced", relayed, answer_seq=4)
    stored = await record_live_answer(
        services.memory, ana.id, "CAraced", seq=2, text=answer, heard=heard[1:], language="es"
    )
    assert stored is not None
    again = await record_live_answer(
        services.memory, ana.id, "CAraced", seq=2, text=answer, heard=heard[1:], language="es"
    )
    assert again is None, "indexed once"
    url = services.memory.url
    (message,) = rows(url, "SELECT id FROM messages WHERE role = 'agent' AND seq = 2")
    assert message == (stored,), "the message the next request stored, not a second one"
    chunks = rows(url, "SELECT last_message_id, text FROM memory_chunks WHERE channel = 'call'")
    assert len(chunks) == 1 and chunks[0][0] == stored and BUDGET in chunks[0][1]


async def test_answers_stored_in_one_batch_are_each_indexed_and_recalled(services):
    # The answers of several calls that ended together are embedded in one batch; each is
    # its own message and chunk, and one that cannot be stored does not lose the others.
    from memory import InvalidCall, get_or_create_customer, recall
    from memory.live_calls import LiveAnswer, LiveTurn, record_live_answers, record_live_turns

    ana = await get_or_create_customer(services.memory, PHONE)
    luis = await get_or_create_customer(services.memory, "+573001112299")
    heard = {ana.id: "Vivo en Chía, cerca del parque.", luis.id: "Mi techo es de teja de barro."}
    for who, ref in ((ana, "CAana"), (luis, "CAluis")):
        turns = [LiveTurn(0, "agent", GREETING), LiveTurn(1, "customer", heard[who.id])]
        await record_live_turns(services.memory, who.id, ref, turns, answer_seq=2)
    ana_heard = [LiveTurn(1, "customer", heard[ana.id])]
    luis_heard = [LiveTurn(1, "customer", heard[luis.id])]
    answers = [
        LiveAnswer(ana.id, "CAana", 2, "Sí llegamos a Chía.", ana_heard, "es"),
        LiveAnswer(ana.id, "CAluis", 2, "Esa llamada no es tuya.", [], "es"),
        LiveAnswer(luis.id, "CAluis", 2, "La teja de barro sirve.", luis_heard, "es"),
    ]
    with pytest.raises(InvalidCall):
        await record_live_answers(services.memory, answers)
    url = services.memory.url
    chunks = rows(url, "SELECT customer_id, text FROM memory_chunks ORDER BY customer_id")
    assert [(c, heard[c] in t) for c, t in chunks] == [(ana.id, True), (luis.id, True)]
    hits = await recall(services.memory, luis.id, "¿de qué es mi techo?", k=1)
    assert "teja de barro sirve" in hits[0].text
