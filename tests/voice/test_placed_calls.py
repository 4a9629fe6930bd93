"""Calls Hilo places (callbacks, batch calls) carry the `hilo_call` token of their customer, so
their Custom LLM requests are bound as an inbound call's are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from channels.call_token import call_token_key, read_call_token
from memory import create_next_action, find_customer_by_phone, get_or_create_customer
from server.jobs.actions import place_due_callbacks
from tests.channels.fake_elevenlabs import FakeElevenLabs
from tests.channels.test_callbacks import hilo_calls
from tests.voice.conftest import LLM_SECRET, chat, chat_body, spoken_text, sse_events


@pytest.fixture
def fake_elevenlabs():
    fake = FakeElevenLabs().start()
    yield fake
    fake.stop()


@pytest.fixture
def voice_settings(voice_settings, fake_elevenlabs):
    return voice_settings.model_copy(
        update={
            "elevenlabs_api_key": SecretStr("xi-test"),
            "elevenlabs_agent_id": "agent_x",
            "elevenlabs_phone_number_id": "pn_x",
            "elevenlabs_base_url": fake_elevenlabs.base_url,
        }
    )


async def test_a_callback_carries_its_customers_token_and_the_call_is_answered(
    client, services, fake_elevenlabs
):
    ana = await get_or_create_customer(services.memory, "+573001112233", name="Ana")
    await create_next_action(
        services.memory, ana.id, "Llamar", type="call", due_at=datetime.now(UTC) - timedelta(1)
    )
    assert await place_due_callbacks() == 1
    [(kind, body)] = fake_elevenlabs.requests
    token = body["conversation_initiation_client_data"]["custom_llm_extra_body"]["hilo_call"]
    binding = read_call_token(await call_token_key(services.memory), token)
    assert binding.customer_id == ana.id
    turns = [("agent", "Hola Ana, te llamo de Sol Andino."), ("user", "Hola, dime.")]
    response = await chat(client, chat_body(token, turns))
    assert response.status_code == 200 and spoken_text(sse_events(response)).strip()


async def test_batch_call_recipients_each_carry_their_own_token(
    services, fake_elevenlabs, tmp_path
):
    csv_file = tmp_path / "recipients.csv"
    csv_file.write_text("phone,name\n+57 300 111 2233,Ana\n3009998877,Luis\n")
    env = {
        "DATABASE_URL": services.memory.url,
        "HILO_DATA_DIR": str(tmp_path),
        "ELEVENLABS_API_KEY": "xi-test",
        "ELEVENLABS_AGENT_ID": "agent_x",
        "ELEVENLABS_PHONE_NUMBER_ID": "pn_x",
        "ELEVENLABS_BASE_URL": fake_elevenlabs.base_url,
        "HILO_LLM_SECRET": LLM_SECRET,
    }
    result = await hilo_calls("submit", str(csv_file), env=env)
    assert result.returncode == 0, result.stderr
    [(_, body)] = fake_elevenlabs.requests
    key = await call_token_key(services.memory)
    for recipient in body["recipients"]:
        data = recipient["conversation_initiation_client_data"]
        binding = read_call_token(key, data["custom_llm_extra_body"]["hilo_call"])
        customer = await find_customer_by_phone(services.memory, recipient["phone_number"])
        assert customer is not None and binding.customer_id == customer.id
