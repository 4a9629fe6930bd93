"""The work before the model on a spoken turn is timed by phase and logged at DEBUG (what the
Custom LLM benchmark reads), and the database pool has the size the settings give it."""

from __future__ import annotations

import logging

from server.services import start_services
from tests.voice.conftest import call_token, chat, chat_body, start_inbound_call

TURN = [("agent", "Hola, ¿en qué te ayudo?"), ("user", "¿Cuánto cuesta la instalación?")]


async def test_a_spoken_turn_logs_its_phases_before_the_model(client, caplog):
    token = call_token(await start_inbound_call(client))
    with caplog.at_level(logging.DEBUG, logger="hilo.phases"):
        response = await chat(client, chat_body(token, TURN))
    assert response.status_code == 200
    records = [r for r in caplog.records if r.name == "hilo.phases"]
    assert len(records) == 1, "one record per turn, once the model's first words are there"
    spans, marks = records[0].spans, records[0].marks  # type: ignore[attr-defined]
    assert {"request", "bind", "live_turns", "context", "recall", "embedding"} <= set(spans)
    assert all(v >= 0 for v in spans.values())
    order = [marks[name] for name in ("graph", "guard", "load_context", "model")]
    assert order == sorted(order), marks


async def test_no_phases_are_logged_above_debug(client, caplog):
    token = call_token(await start_inbound_call(client))
    with caplog.at_level(logging.INFO, logger="hilo.phases"):
        assert (await chat(client, chat_body(token, TURN))).status_code == 200
    assert not [r for r in caplog.records if r.name == "hilo.phases"]


async def test_the_pool_holds_the_configured_number_of_connections(voice_settings):
    services = await start_services(voice_settings.model_copy(update={"db_pool_size": 3}))
    try:
        assert services.memory.pool.max_size == 3
    finally:
        await services.close()
