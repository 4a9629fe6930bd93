"""A spoken turn knows the customer: what an earlier call and WhatsApp said is recalled, and
with an LLM it is in the prompt before the model runs (no tool round trip for memory)."""

from __future__ import annotations

import json
import time

from tests.agent.fake_openai import text
from tests.channels.conftest import inbound_form, post_signed
from tests.voice.conftest import (
    PHONE,
    call_token,
    chat,
    chat_body,
    spoken_text,
    sse_events,
    start_inbound_call,
)
from tests.voice.test_live_turns import post_call
from tests.waiting import wait_until, wait_until_drained

EARLIER_CALL = [
    ("agent", "Hola Ana, te llamo de Sol Andino por los paneles solares."),
    ("user", "Hola, sí. Quiero paneles para mi casa en Chía."),
    ("agent", "¿Cuánto podrían pagar al mes?"),
    ("user", "Unos 500 mil pesos como máximo."),
    ("agent", "Perfecto, te envío la cotización el jueves por WhatsApp."),
]


def earlier_call_payload() -> dict:
    now = int(time.time())
    return {
        "type": "post_call_transcription",
        "event_timestamp": now,
        "data": {
            "agent_id": "agent_x",
            "conversation_id": "conv_earlier",
            "status": "done",
            "transcript": [
                {"role": r, "message": m, "time_in_call_secs": i * 6, "tool_calls": []}
                for i, (r, m) in enumerate(EARLIER_CALL)
            ],
            "metadata": {
                "start_time_unix_secs": now - 86400,
                "call_duration_secs": 48,
                "phone_call": {
                    "type": "twilio",
                    "direction": "outbound",
                    "external_number": PHONE,
                    "call_sid": "CAearlier",
                },
            },  # fmt: skip
            "analysis": {"transcript_summary": "Ana quiere paneles en Chía."},
            "conversation_initiation_client_data": {"dynamic_variables": {"customer_name": "Ana"}},
        },
    }


async def earlier_call(client, services) -> None:
    assert (await post_call(client, earlier_call_payload())).status_code == 200
    await wait_until_drained(services.memory.url, timeout=40)


async def ask_on_a_new_call(client, question: str) -> str:
    token = call_token(await start_inbound_call(client, call_sid="CA" + "9" * 32))
    turns = [("agent", "Hola Ana, ¿en qué te puedo ayudar?"), ("user", question)]
    response = await chat(client, chat_body(token, turns))
    assert response.status_code == 200, response.text
    return spoken_text(sse_events(response))


async def test_spoken_answer_recalls_a_fact_from_an_earlier_call(client, services):
    await earlier_call(client, services)
    answer = await ask_on_a_new_call(client, "¿Cuánto te dije que podía pagar al mes?")
    assert "500 mil" in answer


async def test_spoken_answer_recalls_what_was_said_on_whatsapp(client, services, fake_twilio):
    text = "Les cuento que el techo de mi casa es de teja de barro."
    form = inbound_form("SM" + "6" * 32, text, phone=PHONE)
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until(lambda: len(fake_twilio.messages) == 1, timeout=30)
    answer = await ask_on_a_new_call(client, "¿Qué te dije por WhatsApp sobre el techo?")
    assert "teja" in answer.lower()


async def test_with_an_llm_memory_is_in_the_prompt_before_the_model_runs(
    client, services, openai_upstream
):
    openai_upstream.responder = lambda body: text("Me dijiste que unos quinientos mil al mes.")
    await earlier_call(client, services)
    openai_upstream.requests.clear()  # the earlier call's analysis asked the model too
    answer = await ask_on_a_new_call(client, "¿Cuánto te dije que podía pagar al mes?")
    assert "quinientos mil" in answer
    assert len(openai_upstream.requests) == 1, "one model call: no tool round trip for memory"
    system = openai_upstream.requests[0]["messages"][0]
    assert system["role"] == "system"
    assert "500 mil pesos" in system["content"]  # the recall for the spoken words
    assert "Ana quiere paneles en Chía." in system["content"]  # the customer's context
    assert PHONE not in json.dumps(openai_upstream.requests[0])
    assert "You are a helpful voice agent." not in system["content"]  # Hilo's prompt rules
