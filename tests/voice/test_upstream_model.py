"""With an LLM upstream: its tokens stream through, Hilo's tools run inside Hilo for the
call's customer only, the platform's tools are handed back, and a slow start is covered by a
buffer phrase."""

from __future__ import annotations

import json

from memory import get_customer, get_or_create_customer
from tests.agent.fake_openai import text, tool_call
from tests.voice.conftest import (
    END_CALL,
    call_token,
    chat,
    chat_body,
    spoken_text,
    sse_events,
    start_inbound_call,
)

TURNS = [("agent", "Hola Ana, ¿en qué te puedo ayudar?"), ("user", "Creo que ya terminamos.")]
ANSWER = "Perfecto Ana, la cotización te llega el jueves."


def content_chunks(events: list) -> list[str]:
    return [
        e["choices"][0]["delta"]["content"]
        for e in events
        if isinstance(e, dict) and e.get("choices") and e["choices"][0]["delta"].get("content")
    ]


def tool_results(body: dict) -> list[dict]:
    return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]


async def test_the_models_tokens_stream_through_as_they_come(client, openai_upstream):
    openai_upstream.responder = lambda body: text(ANSWER)
    token = call_token(await start_inbound_call(client))
    events = sse_events(await chat(client, chat_body(token, TURNS)))
    assert content_chunks(events) == [w + " " for w in ANSWER.split()[:-1]] + ["jueves."]
    assert openai_upstream.requests[0]["stream"] is True


async def test_an_elevenlabs_system_tool_is_handed_back_as_tool_calls(client, openai_upstream):
    def respond(body):
        assert "end_call" in {t["function"]["name"] for t in body["tools"]}
        return {
            **tool_call("end_call", {"reason": "done", "message": "Hasta luego"}),
            "content": "Hasta luego, Ana.",
        }

    openai_upstream.responder = respond
    token = call_token(await start_inbound_call(client))
    events = sse_events(await chat(client, chat_body(token, TURNS, tools=[END_CALL])))
    calls = [
        c
        for e in events
        if isinstance(e, dict) and e.get("choices")
        for c in e["choices"][0]["delta"].get("tool_calls") or []
    ]
    assert [c["function"]["name"] for c in calls] == ["end_call"]
    assert json.loads(calls[0]["function"]["arguments"]) == {
        "reason": "done",
        "message": "Hasta luego",
    }
    assert calls[0]["id"].startswith("call_") and calls[0]["type"] == "function"
    finish = [
        e["choices"][0]["finish_reason"] for e in events if isinstance(e, dict) and e["choices"]
    ]
    assert finish[-1] == "tool_calls"
    assert spoken_text(events) == "Hasta luego, Ana."
    assert len(openai_upstream.requests) == 1, "Hilo did not run it, nor ask the model again"


async def test_the_same_turn_without_the_platforms_tools_offers_only_hilos(client, openai_upstream):
    token = call_token(await start_inbound_call(client))
    await chat(client, chat_body(token, TURNS))
    offered = {t["function"]["name"] for t in openai_upstream.requests[0]["tools"]}
    assert "end_call" not in offered and "recall_conversations" in offered


async def test_a_hilo_tool_the_model_chooses_runs_for_the_calls_customer_only(
    client, services, openai_upstream
):
    other = await get_or_create_customer(services.memory, "+573009998877", name="Bea")

    def respond(body):
        if not tool_results(body):
            return tool_call("update_customer_profile", {"budget": "900 mil"})
        return text("Anotado, novecientos mil al mes.")

    openai_upstream.responder = respond
    start = await start_inbound_call(client)
    events = sse_events(
        await chat(client, chat_body(call_token(start), TURNS[:1] + [("user", "Son 900 mil.")]))
    )
    assert spoken_text(events) == "Anotado, novecientos mil al mes."
    assert not any(
        e["choices"][0]["delta"].get("tool_calls")
        for e in events
        if isinstance(e, dict) and e.get("choices")
    ), "Hilo's own tool calls are not handed to the platform"
    ana = await get_or_create_customer(services.memory, "+573001112233")
    assert ana.profile.get("budget") == "900 mil"
    assert "budget" not in (await get_customer(services.memory, other.id)).profile
    assert tool_results(openai_upstream.requests[1])[0].get("error") is None


async def test_a_buffer_phrase_is_said_first_when_the_model_is_slow_to_start(
    client, services, openai_upstream
):
    openai_upstream.responder = lambda body: text(ANSWER)
    openai_upstream.first_token_delay = 0.8
    services.settings.llm_buffer_after = 0.2
    token = call_token(await start_inbound_call(client))
    chunks = content_chunks(sse_events(await chat(client, chat_body(token, TURNS))))
    assert chunks[0].endswith("... ") and chunks[0] != ANSWER.split()[0] + " "
    assert "".join(chunks[1:]) == ANSWER


async def test_no_buffer_phrase_when_the_model_starts_in_time(client, services, openai_upstream):
    openai_upstream.responder = lambda body: text(ANSWER)
    services.settings.llm_buffer_after = 2.0
    token = call_token(await start_inbound_call(client))
    chunks = content_chunks(sse_events(await chat(client, chat_body(token, TURNS))))
    assert "".join(chunks) == ANSWER
