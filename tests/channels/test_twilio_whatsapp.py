"""WhatsApp through Twilio: signed webhooks in, durable jobs, replies out through the SDK."""

from __future__ import annotations

import psycopg
import pytest

from tests.channels.conftest import BASE, inbound_form, post_signed, wait_until


def count(url: str, sql: str, *args) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchone()[0]


async def test_signed_message_is_acknowledged_and_answered_through_twilio(
    client, services, fake_twilio
):
    response = await post_signed(
        client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "1" * 32, "Hola")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Response>" in response.text

    async def replied():
        return len(fake_twilio.messages) == 1

    await wait_until(replied)
    sent = fake_twilio.messages[0]
    assert sent["To"] == "whatsapp:+573001112233" and sent["From"] == "whatsapp:+14155238886"
    assert sent["Body"]

    async def recorded():
        return (
            count(
                services.memory.url,
                "SELECT count(*) FROM messages WHERE role='agent' "
                "AND external_id LIKE 'SM%%' AND delivery_status='queued'",
            )
            == 1
        )

    await wait_until(recorded)


@pytest.mark.parametrize("case", ["forged", "missing", "wrong_url"])
async def test_refused_signatures_store_nothing(client, services, case):
    form = inbound_form("SM" + "2" * 32, "Hola")
    if case == "forged":
        response = await post_signed(
            client, "/webhooks/twilio/whatsapp", form, signature="bm90IGEgc2lnbmF0dXJl"
        )
    elif case == "missing":
        response = await client.post("/webhooks/twilio/whatsapp", data=form)
    else:
        response = await post_signed(
            client,
            "/webhooks/twilio/whatsapp",
            form,
            url="https://elsewhere.example/webhooks/twilio/whatsapp",
        )
    assert response.status_code == 403
    assert count(services.memory.url, "SELECT count(*) FROM webhook_events") == 0
    assert count(services.memory.url, "SELECT count(*) FROM messages") == 0


async def test_behind_a_proxy_the_public_url_is_what_twilio_signed(client, services):
    services.settings.public_url = "https://hilo.example.com"
    form = inbound_form("SM" + "3" * 32, "Hola")
    public = "https://hilo.example.com/webhooks/twilio/whatsapp"
    assert (
        await post_signed(client, "/webhooks/twilio/whatsapp", form, url=public)
    ).status_code == 200
    local = await post_signed(
        client,
        "/webhooks/twilio/whatsapp",
        inbound_form("SM" + "4" * 32, "Hola"),
        url=BASE + "/webhooks/twilio/whatsapp",
    )
    assert local.status_code == 403


async def test_same_webhook_three_times_gives_one_turn_and_one_reply(client, services, fake_twilio):
    form = inbound_form("SM" + "5" * 32, "¿Cuánto cuesta la instalación?")
    for _ in range(3):
        assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200

    async def replied():
        return len(fake_twilio.messages) >= 1

    await wait_until(replied)
    await wait_until(lambda: _no_jobs_left(services.memory.url))
    assert len(fake_twilio.messages) == 1
    assert count(services.memory.url, "SELECT count(*) FROM messages WHERE role='customer'") == 1


async def _no_jobs_left(url: str) -> bool:
    return (
        count(url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo','doing')") == 0
    )


async def test_five_rapid_messages_are_answered_in_order(client, services, fake_twilio):
    texts = [
        "Hola",
        "Quiero una cotización",
        "¿Me pueden llamar mañana a las 10?",
        "Mi correo es ana@example.com",
        "Gracias",
    ]
    for i, text in enumerate(texts):
        await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form(f"SM{i:032d}", text))
    await wait_until(lambda: _no_jobs_left(services.memory.url), timeout=40)
    with psycopg.connect(services.memory.url) as conn:
        rows = conn.execute("SELECT role, text FROM messages ORDER BY id").fetchall()
    customer_texts = [t for r, t in rows if r == "customer"]
    assert customer_texts == texts
    roles = [r for r, _ in rows]
    assert roles == ["customer", "agent"] * 5  # one turn at a time: each answer before the next
    assert len(fake_twilio.messages) == 5


async def test_twilio_500_then_201_sends_once(client, services, fake_twilio):
    fake_twilio.failures = [(500, 20500)]
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "6" * 32, "Hola"))

    async def sent():
        return len(fake_twilio.messages) == 1

    await wait_until(sent, timeout=30)
    assert fake_twilio.attempts == 2


async def test_permanent_twilio_error_is_recorded_not_retried(client, services, fake_twilio):
    fake_twilio.failures = [(400, 21211)]
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "7" * 32, "Hola"))

    async def failed():
        return (
            count(
                services.memory.url,
                "SELECT count(*) FROM messages WHERE role='agent' "
                "AND delivery_status='failed' AND error_code='21211'",
            )
            == 1
        )

    await wait_until(failed)
    await wait_until(lambda: _no_jobs_left(services.memory.url))
    assert fake_twilio.attempts == 1 and fake_twilio.messages == []


async def test_status_callbacks_update_delivery_and_never_downgrade(client, services, fake_twilio):
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "8" * 32, "Hola"))

    async def recorded():
        return (
            count(
                services.memory.url,
                "SELECT count(*) FROM messages WHERE role='agent' AND external_id IS NOT NULL",
            )
            == 1
        )

    await wait_until(recorded)
    with psycopg.connect(services.memory.url) as conn:
        sid = conn.execute("SELECT external_id FROM messages WHERE role='agent'").fetchone()[0]
    for status in ["delivered", "sent", "read"]:
        form = {
            "MessageSid": sid,
            "MessageStatus": status,
            "AccountSid": "AC" + "0" * 32,
            "From": "whatsapp:+14155238886",
            "To": "whatsapp:+573001112233",
            "ChannelPrefix": "whatsapp",
            "SomethingNew": "x",
        }
        assert (await post_signed(client, "/webhooks/twilio/status", form)).status_code == 204
        if status == "sent":
            assert (
                count(
                    services.memory.url,
                    "SELECT count(*) FROM messages WHERE delivery_status='delivered'",
                )
                == 1
            )
    assert (
        count(services.memory.url, "SELECT count(*) FROM messages WHERE delivery_status='read'")
        == 1
    )


async def test_malformed_bodies_get_a_clear_400(client):
    response = await post_signed(client, "/webhooks/twilio/whatsapp", {"Body": "hola"})
    assert response.status_code == 400 and "MessageSid" in response.text


async def test_stop_opts_out_and_start_opts_back_in(client, services, fake_twilio):
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "9" * 32, "STOP"))
    await wait_until(lambda: _no_jobs_left(services.memory.url))
    await post_signed(
        client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "a" * 32, "¿Cuánto cuesta?")
    )
    await wait_until(lambda: _no_jobs_left(services.memory.url))
    assert len(fake_twilio.messages) == 1  # only the opt-out confirmation
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "b" * 32, "START"))
    await wait_until(lambda: _no_jobs_left(services.memory.url))
    assert len(fake_twilio.messages) == 2


async def test_voice_note_is_stored_and_acknowledged(client, services, fake_twilio):
    form = inbound_form(
        "SM" + "f" * 32,
        "",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME",
        MediaContentType0="audio/ogg",
        MessageType="audio",
    )
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200

    async def replied():
        return len(fake_twilio.messages) == 1

    await wait_until(replied)
    assert "audio" in fake_twilio.messages[0]["Body"]
    with psycopg.connect(services.memory.url) as conn:
        media = conn.execute("SELECT media FROM messages WHERE role='customer'").fetchone()[0]
    assert media == [{"url": form["MediaUrl0"], "content_type": "audio/ogg"}]


async def test_an_undelivered_callback_records_twilio_error_code(client, services, fake_twilio):
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "c" * 32, "Hola"))

    async def sent():
        return (
            count(
                services.memory.url,
                "SELECT count(*) FROM messages WHERE role='agent' AND external_id IS NOT NULL",
            )
            == 1
        )

    await wait_until(sent)
    with psycopg.connect(services.memory.url) as conn:
        sid = conn.execute("SELECT external_id FROM messages WHERE role='agent'").fetchone()[0]
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "undelivered",
        "SmsStatus": "undelivered",
        "ErrorCode": "63016",
        "ErrorMessage": "Failed to send freeform message because you are outside the window",
        "AccountSid": "AC" + "0" * 32,
        "From": "whatsapp:+14155238886",
        "To": "whatsapp:+573001112233",
        "ApiVersion": "2010-04-01",
        "ChannelToAddress": "+57300111XXXX",
        "ChannelPrefix": "whatsapp",
        "ChannelInstallSid": "XE" + "0" * 32,
        "StructuredMessage": "false",
    }
    assert (await post_signed(client, "/webhooks/twilio/status", form)).status_code == 204
    with psycopg.connect(services.memory.url) as conn:
        assert conn.execute(
            "SELECT delivery_status, error_code FROM messages WHERE role='agent'"
        ).fetchone() == ("undelivered", "63016")


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"MessageStatus": "delivered"}, 400, "MessageSid"),
        ({"MessageSid": "SM" + "0" * 32}, 400, "MessageStatus"),
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "teleported"}, 422, "teleported"),
    ],
)
async def test_malformed_status_callbacks_are_refused_clearly(client, form, status, says):
    response = await post_signed(client, "/webhooks/twilio/status", form)
    assert response.status_code == status and says in response.text


async def test_a_status_callback_for_an_unknown_message_is_acknowledged(client):
    form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
    assert (await post_signed(client, "/webhooks/twilio/status", form)).status_code == 204


async def test_a_forged_status_callback_is_refused(client, services):
    form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "read"}
    response = await post_signed(
        client, "/webhooks/twilio/status", form, signature="bm90IGEgc2lnbmF0dXJl"
    )
    assert response.status_code == 403


async def test_a_callback_that_beats_the_send_record_is_applied_once_the_sid_is_known(
    client, services, fake_twilio
):
    fake_twilio.hang_after_accept = 3.0  # Twilio has the message; our worker waits for the answer
    await post_signed(client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "e" * 32, "Hola"))

    async def accepted():
        return len(fake_twilio.resources) == 1

    await wait_until(accepted)
    sid = fake_twilio.resources[0]["sid"]
    form = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert (await post_signed(client, "/webhooks/twilio/status", form)).status_code == 204

    async def delivered():
        return (
            count(
                services.memory.url,
                "SELECT count(*) FROM messages WHERE external_id = %s "
                "AND delivery_status = 'delivered'",
                sid,
            )
            == 1
        )

    await wait_until(delivered)


async def test_a_photo_with_a_caption_is_acknowledged_and_put_before_a_person(
    client, services, fake_twilio
):
    """The rules model cannot see the photo: the reply says it arrived, a person is asked to
    review it (a next action), and the caption is answered like any message."""
    form = inbound_form(
        "SM" + "p" * 32,
        "Les mando la foto de la mancha de humedad del techo",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/MP",
        MediaContentType0="image/jpeg",
    )
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200

    async def replied():
        return len(fake_twilio.messages) == 1

    await wait_until(replied)
    assert fake_twilio.messages[0]["Body"].startswith("Recibí tu imagen")
    with psycopg.connect(services.memory.url) as conn:
        actions = [r[0] for r in conn.execute("SELECT description FROM next_actions")]
    assert actions == [
        "Revisar el adjunto que envió el cliente (imagen): "
        "«Les mando la foto de la mancha de humedad del techo»"
    ]
