"""A spoken turn's checkpoint is read while the call's turns are stored (`agent.checkpoints`),
and the run takes that read: once per turn, and never one older than the customer's last
turn, because the turns of one customer run one at a time from before the read."""

from __future__ import annotations

import asyncio

from tests.voice.conftest import (
    call_token,
    chat,
    chat_body,
    spoken_text,
    sse_events,
    start_inbound_call,
)

FIRST = [("agent", "Hola, ¿en qué te ayudo?"), ("user", "¿Instalan los sábados en Chía?")]


def said_to_model(body: dict) -> list[str]:
    return [str(m["content"]) for m in body["messages"] if m["role"] in ("user", "assistant")]


async def test_the_run_takes_the_prefetched_read_once_per_turn(client, services, openai_upstream):
    saver = services.agent.graph.checkpointer
    read, reads = saver._hilo_read, []

    async def counted(config):
        reads.append(config["configurable"]["thread_id"])
        return await read(config)

    saver._hilo_read = counted
    token = call_token(await start_inbound_call(client))
    first = await chat(client, chat_body(token, FIRST))
    assert spoken_text(sse_events(first)) == "Claro."
    again = [*FIRST, ("agent", "Claro."), ("user", "¿Y el domingo?")]
    assert spoken_text(sse_events(await chat(client, chat_body(token, again)))) == "Claro."
    assert len(reads) == 2, reads  # one read a turn: the run did not read again
    # The second turn's checkpoint was the first turn's: the model saw the first question.
    assert "¿Instalan los sábados en Chía?" in said_to_model(openai_upstream.requests[-1])


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
