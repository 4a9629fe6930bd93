"""Escalation lifecycle through the real webhooks, worker and Twilio SDK: the agent hands the
thread to people, stays silent while they answer, and knows what they said once it is back."""

from __future__ import annotations

import httpx

from memory import current_escalation, find_customer_by_phone, timeline
from server import handoff
from tests.channels.conftest import inbound_form, post_signed
from tests.channels.fake_twilio import FakeTwilio
from tests.waiting import wait_until, wait_until_drained

PHONE = "+573001112233"


async def say(client: httpx.AsyncClient, sid: str, text: str) -> None:
    response = await post_signed(
        client, "/webhooks/twilio/whatsapp", inbound_form(sid, text, PHONE)
    )
    assert response.status_code == 200, response.text


def bodies(fake: FakeTwilio) -> list[str]:
    return [m["Body"] for m in fake.messages if "Body" in m]


async def test_escalate_silence_human_reply_resolve_then_ai_recalls_the_human(
    client: httpx.AsyncClient, services, fake_twilio: FakeTwilio
) -> None:
    memory = services.memory
    await say(client, "SM" + "1" * 32, "Quiero hablar con una persona, por favor")
    await wait_until(lambda: _sent(fake_twilio, 1))
    assert "persona de nuestro equipo" in bodies(fake_twilio)[0]  # the one acknowledgement
    customer = await find_customer_by_phone(memory, PHONE)
    assert customer is not None
    escalation = await current_escalation(memory, customer.id)
    assert escalation is not None and escalation.status == "open"

    # While people own the thread the AI answers nothing; the messages are kept for them.
    await say(client, "SM" + "2" * 32, "¿Hola? ¿Alguien me puede ayudar con el descuento?")
    await say(client, "SM" + "3" * 32, "Sigo esperando")
    await wait_until(lambda: _stored(memory, customer.id, "Sigo esperando"))
    await wait_until_drained(memory.url)  # every turn ran: a (wrong) reply would be sent
    assert len(fake_twilio.messages) == 1

    taken = await handoff.take(services, escalation.id, "ana@empresa.co")
    assert taken.status == "assigned" and taken.assignee == "ana@empresa.co"
    text = "Hola, soy Ana. Te aprobamos un descuento del 15% y el técnico va el jueves."
    first, created = await handoff.reply(services, customer.id, "ana@empresa.co", text, "req-1")
    again, created_again = await handoff.reply(
        services, customer.id, "ana@empresa.co", text, "req-1"
    )
    assert created and not created_again and again.id == first.id
    await wait_until(lambda: _sent(fake_twilio, 2))
    await wait_until_drained(memory.url)  # a second send would have run
    assert bodies(fake_twilio).count(text) == 1  # sent once
    stored = [m for m in await timeline(memory, customer.id) if m.role == "human"]
    assert [m.text for m in stored] == [text] and stored[0].meta["operator"] == "ana@empresa.co"

    await handoff.resolve(services, escalation.id, "ana@empresa.co", "descuento aprobado")
    assert await current_escalation(memory, customer.id) is None
    await say(client, "SM" + "4" * 32, "¿Me recuerdas qué descuento me dijo Ana?")
    await wait_until(lambda: _sent(fake_twilio, 3))
    assert "15" in bodies(fake_twilio)[-1], bodies(fake_twilio)[-1]


async def test_a_second_escalation_while_one_is_open_is_the_same_one(services) -> None:
    from memory import get_or_create_customer

    customer = await get_or_create_customer(services.memory, PHONE, name="Ana")
    first, created = await handoff.open_by_operator(services, customer.id, "ana@empresa.co", "VIP")
    second, created_again = await handoff.open_by_operator(
        services, customer.id, "luis@empresa.co", "otra vez"
    )
    assert created and not created_again and second.id == first.id
    await handoff.resolve(services, first.id, "ana@empresa.co")
    try:
        await handoff.resolve(services, first.id, "ana@empresa.co")
    except handoff.HandoffError:
        pass
    else:
        raise AssertionError("resolving twice must be refused")


async def _sent(fake: FakeTwilio, count: int) -> bool:
    return len(fake.messages) >= count


async def _stored(memory, customer_id: int, text: str) -> bool:
    return any(m.text == text for m in await timeline(memory, customer_id))
