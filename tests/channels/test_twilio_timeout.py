"""A send that Twilio accepts only after Hilo's client timeout reaches the customer once: the
send stays in doubt, and Twilio's message log is looked up on each retry instead of sending
again, until it is found (or the settle window passes with nothing there)."""

from __future__ import annotations

import psycopg
import pytest

from memory import get_or_create_customer, save_message
from server.jobs.whatsapp import queued_outbox
from tests.waiting import wait_until, wait_until_drained

TIMEOUT = 2.0  # the client's: the send is in doubt for 4 × this (8 s)


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(update={"twilio_timeout": TIMEOUT})


def external_id(url: str, message_id: int) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT external_id FROM messages WHERE id = %s", (message_id,))
        return row.fetchone()[0]


async def test_a_send_twilio_accepts_after_the_client_timeout_reaches_the_customer_once(
    services, fake_twilio
):
    # Accepted 6 s after it arrives: after the 2 s timeout and the first retry's look-up (~4 s),
    # inside the 8 s during which the send is in doubt.
    fake_twilio.accept_after = 3 * TIMEOUT
    customer = await get_or_create_customer(services.memory, "+573001112233")
    await save_message(
        services.memory, customer.id, channel="whatsapp", direction="inbound", role="customer",
        text="Hola", external_id="SM" + "0" * 31 + "9",
    )  # fmt: skip
    message_id = await queued_outbox(services.memory).send_text(customer.id, "¡Hola, Ana!")

    async def recorded():
        return external_id(services.memory.url, message_id) is not None

    await wait_until(recorded, timeout=60)
    await wait_until_drained(services.memory.url)  # no send job left that could post again
    assert fake_twilio.attempts == 1  # the timed-out send was looked up, never posted again
    assert [m["Body"] for m in fake_twilio.messages] == ["¡Hola, Ana!"]
    assert external_id(services.memory.url, message_id) == fake_twilio.resources[0]["sid"]
