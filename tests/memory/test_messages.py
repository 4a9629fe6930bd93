"""WhatsApp and operator messages: deduplicated, delivery states only move forward, one timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memory import get_or_create_customer, save_call, save_message, timeline, update_delivery
from tests.memory.conftest import make_call, table_counts


@pytest.fixture
async def customer(memory):
    return await get_or_create_customer(memory, "whatsapp:+573138539155")


async def whatsapp(memory, customer, text, *, outbound=False, **extra):
    """Store one WhatsApp message (the customer's, or the agent's with `outbound`)."""
    return await save_message(
        memory,
        customer.id,
        channel="whatsapp",
        direction="outbound" if outbound else "inbound",
        role="agent" if outbound else "customer",
        text=text,
        **extra,
    )


async def inbound(memory, customer, text):
    message, _ = await whatsapp(memory, customer, text)
    return message


async def test_a_message_delivered_twice_is_stored_once(memory, customer):
    first, created_first = await whatsapp(
        memory, customer, "Hola, ¿me envían la cotización?", external_id="SM0001"
    )
    again, created_again = await whatsapp(
        memory, customer, "Hola, ¿me envían la cotización?", external_id="SM0001"
    )

    assert (created_first, created_again) == (True, False)
    assert again.id == first.id
    counts = await table_counts(memory)
    assert (counts["messages"], counts["memory_chunks"], counts["interactions"]) == (1, 1, 1)


async def test_messages_without_external_id_are_never_merged(memory, customer):
    await inbound(memory, customer, "Gracias")
    await inbound(memory, customer, "Gracias")

    assert (await table_counts(memory))["messages"] == 2


async def test_delivery_status_never_moves_backwards(memory, customer):
    await whatsapp(
        memory,
        customer,
        "Le envío la cotización",
        outbound=True,
        external_id="SM0002",
        delivery_status="queued",
    )

    applied = [
        await update_delivery(memory, "SM0002", status)
        for status in ("sent", "delivered", "sent", "queued", "read", "delivered")
    ]

    assert applied == [True, True, False, False, True, False]
    [message] = await timeline(memory, customer.id)
    assert message.delivery_status == "read"


async def test_a_failed_delivery_keeps_its_error(memory, customer):
    await whatsapp(
        memory, customer, "Hola", outbound=True, external_id="SM0003", delivery_status="sent"
    )

    assert await update_delivery(
        memory, "SM0003", "undelivered", error_code="63016", error_message="outside window"
    )
    assert not await update_delivery(memory, "SM0003", "delivered")

    [message] = await timeline(memory, customer.id)
    assert (message.delivery_status, message.error_code) == ("undelivered", "63016")


async def test_unknown_delivery_status_is_an_error(memory, customer):
    with pytest.raises(ValueError, match="unknown delivery status"):
        await update_delivery(memory, "SM0004", "teleported")


async def test_delivery_status_for_an_unknown_message_changes_nothing(memory):
    assert not await update_delivery(memory, "SM_never_sent", "delivered")


async def test_timeline_orders_calls_and_whatsapp_by_time(memory, customer):
    now = datetime.now(UTC)
    await save_call(
        memory,
        make_call(
            "conv_old",
            phone="+57 313 853 9155",
            turns=[("agent", "¿Le sirve el sábado?"), ("customer", "Sí, el sábado.")],
            started_at=now - timedelta(days=2),
        ),
    )
    await inbound(memory, customer, "Hola, ¿confirmado el sábado?")
    await whatsapp(memory, customer, "Sí, confirmado a las 9.", outbound=True)
    await save_call(
        memory,
        make_call(
            "conv_older",
            phone="573138539155",
            turns=[("agent", "Primera llamada"), ("customer", "Hola")],
            started_at=now - timedelta(days=9),
        ),
    )

    texts = [m.text for m in await timeline(memory, customer.id)]

    assert texts == [
        "Primera llamada",
        "Hola",
        "¿Le sirve el sábado?",
        "Sí, el sábado.",
        "Hola, ¿confirmado el sábado?",
        "Sí, confirmado a las 9.",
    ]


async def test_timeline_limit_keeps_the_most_recent_oldest_first(memory, customer):
    for i in range(5):
        await inbound(memory, customer, f"mensaje {i}")

    assert [m.text for m in await timeline(memory, customer.id, limit=2)] == [
        "mensaje 3",
        "mensaje 4",
    ]


async def test_a_message_is_searchable_with_the_one_before_it(memory, customer):
    await whatsapp(memory, customer, "¿Qué día le queda bien la visita?", outbound=True)
    reply = await inbound(memory, customer, "El jueves en la tarde")

    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT text, last_message_id FROM memory_chunks ORDER BY id DESC LIMIT 1"
            )
        ).fetchone()
    assert row["last_message_id"] == reply.id
    assert "¿Qué día le queda bien la visita?" in row["text"]
    assert "El jueves en la tarde" in row["text"]


async def test_a_message_with_nul_characters_is_stored_without_them(memory, customer):
    message = await inbound(memory, customer, "Hola\x00 Sofía")

    assert message.text == "Hola Sofía"


async def test_the_post_call_follow_up_is_not_indexed_nor_joined_to_the_reply(memory, customer):
    """It only restates its call, whose own turns are indexed (and are the better evidence)."""
    await whatsapp(
        memory,
        customer,
        "Hablamos de: paneles solares por 18.500.000 pesos. Lo acordado: visita el sábado.",
        outbound=True,
        meta={"followup_for": "conv_1"},
    )
    reply = await inbound(memory, customer, "Perfecto, el sábado los espero")

    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT text, first_message_id, last_message_id FROM memory_chunks")
        ).fetchall()
    assert len(rows) == 1
    assert rows[0]["first_message_id"] == rows[0]["last_message_id"] == reply.id
    assert "Hablamos de" not in rows[0]["text"]
