"""Bursts of WhatsApp messages answered once, through signed webhooks and the real worker:
messages within `HILO_WHATSAPP_DEBOUNCE` of each other get one turn that reads them all in
order; a message that arrives while a turn runs is answered by the next turn; duplicates stay
harmless."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from memory import get_or_create_customer
from tests.channels.conftest import inbound_form, post_signed
from tests.waiting import wait_until, wait_until_drained

DEBOUNCE = 0.3
PHONE = "+573001112233"


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(update={"whatsapp_debounce": DEBOUNCE})


def rows(url: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def replies(url: str) -> list[tuple[int, str | None, str]]:
    """The agent's replies: (id, the inbound message id it answers, text)."""
    return rows(
        url,
        "SELECT id, meta->>'in_reply_to', text FROM messages WHERE role = 'agent' ORDER BY id",
    )


def inbound_ids(url: str) -> list[int]:
    return [r[0] for r in rows(url, "SELECT id FROM messages WHERE role='customer' ORDER BY id")]


async def what_the_turn_read(services, phone: str) -> str:
    customer = await get_or_create_customer(services.memory, phone)
    state = await services.agent.graph.aget_state({"configurable": {"thread_id": str(customer.id)}})
    human = [m for m in state.values["messages"] if m.type == "human"]
    return str(human[-1].content)


async def test_three_messages_within_a_second_get_one_reply_that_reads_them_all(
    client, services, fake_twilio
):
    texts = ["Hola", "una pregunta", "quiero hablar con una persona"]
    for i, text in enumerate(texts):
        form = inbound_form(f"SM{i:032d}", text)
        assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until_drained(services.memory.url)
    url = services.memory.url
    assert len(fake_twilio.messages) == 1
    [(_, answers, _)] = replies(url)
    assert int(answers) == inbound_ids(url)[-1]
    assert await what_the_turn_read(services, PHONE) == "\n".join(texts)
    # The third message asked for a person: the one turn that read it escalated.
    assert rows(url, "SELECT count(*) FROM escalations WHERE status = 'open'") == [(1,)]
    assert rows(url, "SELECT DISTINCT status FROM webhook_events") == [("done",)]


async def test_a_message_sent_while_a_turn_runs_is_answered_by_the_next_turn(
    client, services, fake_twilio
):
    url = services.memory.url
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "1" * 32, "Hola"))
    await wait_until_drained(url)
    customer = await get_or_create_customer(services.memory, PHONE)
    # Hold the customer's row: the next turn blocks storing its message, i.e. while it runs.
    with psycopg.connect(url) as holder:
        holder.execute("SELECT 1 FROM customers WHERE id = %s FOR UPDATE", (customer.id,))
        first = inbound_form("SM" + "2" * 32, "¿Cuánto cuesta la instalación?")
        await post_signed(client, "/webhooks/twilio/whatsapp", first)

        async def running() -> bool:
            status = rows(
                url, "SELECT status FROM webhook_events WHERE event_key = %s", first["MessageSid"]
            )
            return status == [("processing",)]

        await wait_until(running)
        second = inbound_form("SM" + "3" * 32, "Mi correo es ana@example.com")
        await post_signed(client, "/webhooks/twilio/whatsapp", second)
        holder.commit()  # the running turn goes on
    await wait_until_drained(url)
    ids = inbound_ids(url)
    assert [int(r[1]) for r in replies(url)] == ids  # one reply each, in order
    assert len(fake_twilio.messages) == 3
    assert await what_the_turn_read(services, PHONE) == "Mi correo es ana@example.com"


async def test_the_same_message_sid_three_times_gives_one_reply(client, services, fake_twilio):
    form = inbound_form("SM" + "5" * 32, "¿Cuánto cuesta la instalación?")
    for _ in range(3):
        assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until_drained(services.memory.url)
    assert len(fake_twilio.messages) == 1
    assert len(inbound_ids(services.memory.url)) == 1


async def test_messages_further_apart_than_the_debounce_are_answered_apart(
    client, services, fake_twilio
):
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "6" * 32, "Hola"))
    await asyncio.sleep(DEBOUNCE * 3)  # the customer's own pause, longer than the debounce
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "7" * 32, "Gracias"))
    await wait_until_drained(services.memory.url)
    url = services.memory.url
    assert [int(r[1]) for r in replies(url)] == inbound_ids(url)
