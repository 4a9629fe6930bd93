"""A customer's WhatsApp messages reach Twilio in the order they were stored: a send still in
progress (slow, or waiting for its retry) holds back that customer's later ones."""

from __future__ import annotations

from typing import Any

from memory import get_or_create_customer, save_message
from server.jobs.whatsapp import queued_outbox
from tests.channels.conftest import wait_until


async def test_a_slow_send_keeps_the_customers_later_messages_behind_it(
    services: Any, fake_twilio: Any
) -> None:
    fake_twilio.delays = [1.0]  # the first send is slow; the worker has free slots for others
    customer = await get_or_create_customer(services.memory, "+573001112233")
    await save_message(
        services.memory, customer.id, channel="whatsapp", direction="inbound", role="customer",
        text="Hola", external_id="SM" + "0" * 31 + "3",
    )  # fmt: skip
    sender = queued_outbox(services.memory)
    for text in ("Primero", "Segundo", "Tercero"):
        await sender.send_text(customer.id, text)

    async def all_sent() -> bool:
        return len(fake_twilio.messages) == 3

    await wait_until(all_sent)
    assert [m["Body"] for m in fake_twilio.messages] == ["Primero", "Segundo", "Tercero"]
