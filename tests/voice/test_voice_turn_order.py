"""A spoken turn's run never reads a checkpoint older than the customer's last turn: the turns
of one customer run one at a time (`agent.voice`'s lock) and the checkpoint is read inside it.
(Reading it early, beside the live turns, was tried and dropped: it did not pay.)"""

from __future__ import annotations

import asyncio

from tests.voice.conftest import (
    call_token,
    chat,
    chat_body,
    start_inbound_call,
)

FIRST = [("agent", "Hola, ¿en qué te ayudo?"), ("user", "¿Instalan los sábados en Chía?")]


def said_to_model(body: dict) -> list[str]:
    return [str(m["content"]) for m in body["messages"] if m["role"] in ("user", "assistant")]


async def test_a_turn_arriving_during_the_customers_last_reads_its_checkpoint_after_it(
    client, openai_upstream
):
    # The first turn's model is slow; the second request (the caller went on speaking) comes
    # while it thinks. Its live turns include the first question already stored, so only the
    # first turn's checkpoint can show it to the model: the read must wait for that run.
    openai_upstream.first_token_delay = 0.6
    token = call_token(await start_inbound_call(client))
    first = asyncio.create_task(chat(client, chat_body(token, FIRST)))
    while not openai_upstream.requests:
        await asyncio.sleep(0.01)
    openai_upstream.first_token_delay = 0.0
    second = await chat(client, chat_body(token, [*FIRST, ("user", "Y también los domingos.")]))
    assert (await first).status_code == 200 and second.status_code == 200
    assert len(openai_upstream.requests) == 2
    assert "¿Instalan los sábados en Chía?" in said_to_model(openai_upstream.requests[1])
