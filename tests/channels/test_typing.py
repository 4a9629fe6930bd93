"""WhatsApp's typing indicator (`HILO_WHATSAPP_TYPING`): requested once per turn through the
twilio SDK, for the message being answered; a failing indicator never holds back the reply."""

from __future__ import annotations

import pytest

from tests.channels.conftest import inbound_form, post_signed
from tests.waiting import wait_until_drained


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(update={"whatsapp_typing": True})


async def test_typing_indicator_is_requested_once_per_turn(client, services, fake_twilio):
    sid = "SM" + "1" * 32
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form(sid, "Hola"))
    await wait_until_drained(services.memory.url)
    assert fake_twilio.typing == [{"channel": "whatsapp", "messageId": sid}]
    assert len(fake_twilio.messages) == 1


async def test_a_failing_typing_indicator_is_ignored(client, services, fake_twilio):
    fake_twilio.typing_failures = [500, 500, 500, 500]
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "2" * 32, "Hola"))
    await wait_until_drained(services.memory.url)
    assert len(fake_twilio.typing) == 1  # not retried: it is cosmetic
    assert len(fake_twilio.messages) == 1  # the reply went out all the same


async def test_no_typing_indicator_for_an_opted_out_customer(client, services, fake_twilio):
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "3" * 32, "STOP"))
    await wait_until_drained(services.memory.url)
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "4" * 32, "Hola"))
    await wait_until_drained(services.memory.url)
    assert [t["messageId"] for t in fake_twilio.typing] == ["SM" + "3" * 32]
