"""The opt-out matrix through signed webhooks: STOP/BAJA on their own opt out; a bare word that
answers our own last question does not; after an opt-out a request for a person reaches the
operators (an escalation) with no automated reply."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from memory import get_or_create_customer
from tests.channels.conftest import inbound_form, post_signed
from tests.waiting import wait_until_drained

_sids = itertools.count(1)


def _sid() -> str:
    return f"SM{next(_sids):032d}"


def one(url: str, sql: str, *args: object) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchone()[0]


async def say(client, services, text: str, phone: str) -> None:
    form = inbound_form(_sid(), text, phone=phone)
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until_drained(services.memory.url)


async def conversation(client, services, phone: str, asked: str | None) -> int:
    """The customer wrote, was answered, and (with `asked`) our last message is that question."""
    await say(client, services, "Hola", phone)
    customer = await get_or_create_customer(services.memory, phone)
    if asked is not None:
        await services.agent.sender.send_text(customer.id, asked, role="agent")
        await wait_until_drained(services.memory.url)
    return customer.id


def opted_out(services, customer_id: int) -> bool:
    return bool(
        one(services.memory.url, "SELECT opted_out FROM customers WHERE id = %s", customer_id)
    )


@pytest.mark.parametrize(
    ("asked", "answer", "opts_out"),
    [
        (None, "STOP", True),
        (None, "BAJA", True),
        (None, "no me escriban más", True),
        ("¿Le ayudo con algo más?", "Baja", True),  # a question, but not one offering the word
        ("¿La cuota la prefiere alta o baja?", "baja", False),
        ("¿La cuota la prefiere alta o baja?", "Baja 👍", False),
        ("¿Quiere que termine el trámite?", "termine", False),
        ("Su cuota quedó en la opción baja.", "BAJA", True),  # not a question: nothing answered
        ("¿Desea darse de baja de nuestros mensajes?", "baja", True),  # the echo means yes
        ("¿La cuota la prefiere alta o baja?", "no me escriban más", True),  # a phrase, always
    ],
)
async def test_opt_out_matrix(client, services, fake_twilio, asked, answer, opts_out):
    phone = "+573001110000"
    customer_id = await conversation(client, services, phone, asked)
    sent_before = len(fake_twilio.messages)
    await say(client, services, answer, phone)
    assert opted_out(services, customer_id) is opts_out
    # Either the opt-out's confirmation or the answer to what they said: one message.
    assert len(fake_twilio.messages) == sent_before + 1
    confirmation = "no te enviaremos más mensajes" in fake_twilio.messages[-1]["Body"]
    assert confirmation is opts_out


async def test_after_opting_out_a_request_for_a_person_reaches_the_operators_silently(
    client, services, fake_twilio
):
    phone = "+573001110001"
    customer_id = await conversation(client, services, phone, None)
    await say(client, services, "STOP", phone)
    sent = len(fake_twilio.messages)
    await say(client, services, "Quiero hablar con una persona, por favor", phone)
    reason = one(
        services.memory.url,
        "SELECT reason FROM escalations WHERE customer_id = %s AND status = 'open'",
        customer_id,
    )
    assert "hablar con una persona" in str(reason)
    assert len(fake_twilio.messages) == sent  # no automated reply
    assert opted_out(services, customer_id)


async def test_after_opting_out_other_messages_get_no_reply_and_no_escalation(
    client, services, fake_twilio
):
    phone = "+573001110002"
    customer_id = await conversation(client, services, phone, None)
    await say(client, services, "BAJA", phone)
    sent = len(fake_twilio.messages)
    await say(client, services, "¿Cuánto cuesta el panel?", phone)
    assert len(fake_twilio.messages) == sent
    escalations = one(
        services.memory.url, "SELECT count(*) FROM escalations WHERE customer_id = %s", customer_id
    )
    assert escalations == 0
