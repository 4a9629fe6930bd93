"""An interrupted send (its worker died before recording the outcome) is looked up in Twilio's
message log before sending again; a message found there that another reply already owns (the
same text, sent to the same customer a moment earlier) is not taken for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from channels.delivery import deliver
from memory import get_or_create_customer, save_message
from memory.messages import get_message, mark_send_attempt
from server.services import start_services

PHONE = "+573001112233"
TEXT = "Con gusto, ¿algo más en lo que te pueda ayudar?"


@pytest.fixture
async def web_only(twilio_settings: Any) -> AsyncIterator[Any]:
    services = await start_services(twilio_settings)  # no worker: the test runs each send
    yield services
    await services.close()


async def outbound(services: Any, customer_id: int) -> int:
    message, _ = await save_message(
        services.memory, customer_id, channel="whatsapp", direction="outbound", role="agent",
        text=TEXT, delivery_status="pending",
    )  # fmt: skip
    return message.id


async def test_a_retried_send_does_not_take_an_earlier_reply_with_the_same_text(
    web_only: Any, fake_twilio: Any
) -> None:
    memory = web_only.memory
    customer = await get_or_create_customer(memory, PHONE)
    await save_message(
        memory, customer.id, channel="whatsapp", direction="inbound", role="customer",
        text="Gracias", external_id="SM" + "1" * 32,
    )  # fmt: skip
    first = await outbound(web_only, customer.id)
    assert await deliver(memory, web_only.whatsapp, web_only.settings, first) == "sent"
    second = await outbound(web_only, customer.id)
    await mark_send_attempt(memory, second)  # what a worker killed before Twilio's call leaves
    # … found once Twilio could no longer accept that attempt late (past the settle window,
    # as a dead worker's job is after the heartbeat timeout): looked up, then sent.
    web_only.whatsapp.settle = timedelta(0)

    assert await deliver(memory, web_only.whatsapp, web_only.settings, second) == "sent"
    first_sid = (await get_message(memory, first)).external_id  # type: ignore[union-attr]
    second_sid = (await get_message(memory, second)).external_id  # type: ignore[union-attr]
    assert fake_twilio.attempts == 2 and second_sid not in (None, first_sid)
