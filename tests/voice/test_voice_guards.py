"""The thread's guards hold on a call too: asking for a person escalates, and while people own
the thread the call is told so instead of the AI going on."""

from __future__ import annotations

import prompts
from memory import current_escalation, get_or_create_customer
from tests.voice.conftest import (
    PHONE,
    call_token,
    chat,
    chat_body,
    spoken_text,
    sse_events,
    start_inbound_call,
)

GREETING = ("agent", "Hola Ana, ¿en qué te puedo ayudar?")


async def test_asking_for_a_person_on_the_call_escalates_and_says_so_in_spoken_words(
    client, services
):
    token = call_token(await start_inbound_call(client))
    turns = [GREETING, ("user", "Quiero hablar con una persona, por favor.")]
    said = spoken_text(sse_events(await chat(client, chat_body(token, turns))))
    assert said.strip() == prompts.entry("voice", "escalated", "es")
    ana = await get_or_create_customer(services.memory, PHONE)
    assert await current_escalation(services.memory, ana.id) is not None
    turns += [("agent", said), ("user", "¿Sigues ahí?")]
    said = spoken_text(sse_events(await chat(client, chat_body(token, turns))))
    assert said.strip() == prompts.entry("voice", "human_owned", "es")
