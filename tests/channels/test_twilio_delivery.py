"""Outbound WhatsApp: the 24-hour window and templates, status callbacks to our public URL,
retried sends, the outbox sweep, opt-out, and the offline console channel."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import psycopg
import pytest

from memory import get_or_create_customer, save_message, set_opted_out
from server.app import create_app
from server.jobs.whatsapp import queue_unsent_sends, queued_outbox
from server.services import start_services
from tests.channels.conftest import inbound_form, post_signed, wait_until
from tools.ports import OptedOut

TEMPLATE = "HX" + "a" * 32


def row(url: str, sql: str, *args):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchone()


async def settled(services, message_id: int) -> None:
    async def done():
        status = row(
            services.memory.url, "SELECT delivery_status FROM messages WHERE id = %s", message_id
        )[0]
        return status != "pending"

    await wait_until(done)


async def test_outside_the_window_an_approved_template_is_sent(twilio_settings, fake_twilio):
    settings = twilio_settings.model_copy(update={"twilio_followup_content_sid": TEMPLATE})
    services = await start_services(settings)
    await services.start_worker()
    try:
        customer = await get_or_create_customer(services.memory, "+573004445566", name="Luis")
        message_id = await queued_outbox(services.memory).send_text(
            customer.id, "Gracias por la llamada, Luis.", meta={"content_variables": {"1": "Luis"}}
        )
        await settled(services, message_id)
    finally:
        await services.close()
    sent = fake_twilio.messages[0]
    assert sent["ContentSid"] == TEMPLATE
    assert json.loads(sent["ContentVariables"]) == {"1": "Luis"}
    assert "Body" not in sent


async def test_outside_the_window_without_a_template_nothing_is_sent_and_the_error_is_recorded(
    services, fake_twilio
):
    customer = await get_or_create_customer(services.memory, "+573004445566")
    message_id = await queued_outbox(services.memory).send_text(customer.id, "Hola de nuevo")
    await settled(services, message_id)
    status, code, error = row(
        services.memory.url,
        "SELECT delivery_status, error_code, error_message FROM messages WHERE id = %s",
        message_id,
    )
    assert (status, code) == ("failed", "63016") and "template" in error
    assert fake_twilio.attempts == 0


async def test_with_a_public_url_twilio_reports_status_to_our_callback(
    twilio_settings, fake_twilio
):
    settings = twilio_settings.model_copy(update={"public_url": "https://hilo.example.com/"})
    services = await start_services(settings)
    await services.start_worker()
    try:
        app = create_app(services=services)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hilo.test"
        ) as client:
            form = inbound_form("SM" + "c" * 32, "Hola")
            public = "https://hilo.example.com/webhooks/twilio/whatsapp"
            assert (
                await post_signed(client, "/webhooks/twilio/whatsapp", form, url=public)
            ).status_code == 200

            async def sent():
                return len(fake_twilio.messages) == 1

            await wait_until(sent)
    finally:
        await services.close()
    callback = fake_twilio.messages[0]["StatusCallback"]
    assert callback == "https://hilo.example.com/webhooks/twilio/status"


async def test_twilio_429_is_retried_and_the_message_sent_once(services, fake_twilio):
    fake_twilio.failures = [(429, 20429)]
    customer = await get_or_create_customer(services.memory, "+573001112233")
    await save_message(
        services.memory, customer.id, channel="whatsapp", direction="inbound", role="customer",
        text="Hola", external_id="SM" + "0" * 31 + "1",
    )  # fmt: skip
    message_id = await queued_outbox(services.memory).send_text(customer.id, "¡Hola!")
    await settled(services, message_id)
    assert fake_twilio.attempts == 2 and len(fake_twilio.messages) == 1
    assert row(
        services.memory.url, "SELECT delivery_status FROM messages WHERE id = %s", message_id
    ) == ("queued",)


async def test_a_message_stored_but_never_queued_is_sent_by_the_outbox_sweep(services, fake_twilio):
    customer = await get_or_create_customer(services.memory, "+573001112233")
    await save_message(
        services.memory, customer.id, channel="whatsapp", direction="inbound", role="customer",
        text="Hola", external_id="SM" + "0" * 31 + "2",
    )  # fmt: skip
    # What a process that died between storing the message and queueing its send leaves.
    message, _ = await save_message(
        services.memory, customer.id, channel="whatsapp", direction="outbound", role="agent",
        text="Te escribo por lo de ayer", delivery_status="pending",
    )  # fmt: skip
    assert await queue_unsent_sends(services.memory, older_than=timedelta(0)) == 1
    await settled(services, message.id)
    assert [m["Body"] for m in fake_twilio.messages] == ["Te escribo por lo de ayer"]
    assert await queue_unsent_sends(services.memory, older_than=timedelta(0)) == 0


async def test_the_sweep_leaves_alone_a_message_whose_send_is_queued(twilio_settings, fake_twilio):
    services = await start_services(twilio_settings)  # no worker: the send job stays queued
    try:
        customer = await get_or_create_customer(services.memory, "+573001112233")
        await queued_outbox(services.memory).send_text(customer.id, "Hola")
        assert await queue_unsent_sends(services.memory, older_than=timedelta(0)) == 0
    finally:
        await services.close()


async def test_an_opted_out_customer_gets_no_automated_message(services, fake_twilio):
    customer = await get_or_create_customer(services.memory, "+573001112233")
    await set_opted_out(services.memory, customer.id, True)
    with pytest.raises(OptedOut):
        await queued_outbox(services.memory).send_text(customer.id, "¿Seguimos?")
    assert fake_twilio.attempts == 0


async def test_without_twilio_credentials_messages_are_stored_on_the_console_channel(settings):
    services = await start_services(settings)
    await services.start_worker()
    try:
        assert services.whatsapp.name == "console"
        customer = await get_or_create_customer(services.memory, "+573001112233")
        message_id = await queued_outbox(services.memory).send_text(customer.id, "Hola")
        await settled(services, message_id)
        status, external_id = row(
            services.memory.url,
            "SELECT delivery_status, external_id FROM messages WHERE id = %s",
            message_id,
        )
    finally:
        await services.close()
    assert status == "console" and external_id.startswith("CONSOLE")
