"""Long texts are bounded where they enter: a 64 K-character WhatsApp message is stored whole
and answered, a longer Body or an oversized request is refused with 413, a 1 MB transcript turn
is stored cut to a message's length; what is indexed and embedded of any of them is its
beginning, and a long text is embedded off the event loop. (Timing: evals/bench/long_texts.py.)"""

from __future__ import annotations

import threading

import pytest
from pydantic import SecretStr

from agent.context import READ_CHARS
from memory.chunks import CHUNK_TURN_CHARS
from memory.embeddings import MAX_EMBED_CHARS
from memory.messages import MAX_MESSAGE_CHARS
from tests.channels.conftest import inbound_form, post_signed, wait_until
from tests.channels.test_elevenlabs import SECRET, TOOLS_SECRET, count, jobs_done, post_call
from tests.channels.test_elevenlabs import post_call_payload as call_payload

LONGEST_CHUNK = 3 * (len("Cliente: ") + CHUNK_TURN_CHARS + 1) + 2


@pytest.fixture
def twilio_settings(twilio_settings):
    secrets = {
        "elevenlabs_webhook_secret": SecretStr(SECRET),
        "tools_secret": SecretStr(TOOLS_SECRET),
    }
    return twilio_settings.model_copy(update=secrets)


def long_text(chars: int) -> str:
    words = "Quiero saber de la garantía del inversor y del precio de la instalación. "
    return (words * (chars // len(words) + 1))[:chars]


async def test_a_64k_whatsapp_message_is_stored_whole_answered_and_indexed_by_its_start(
    client, services, fake_twilio
):
    body = long_text(MAX_MESSAGE_CHARS)
    answer = await post_signed(
        client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "4" * 32, body)
    )
    assert answer.status_code == 200

    async def replied():
        return len(fake_twilio.messages) == 1

    await wait_until(replied, timeout=60)
    url = services.memory.url
    stored = count(url, "SELECT length(text) FROM messages WHERE role = 'customer'")
    assert stored == len(body.strip())
    assert count(url, "SELECT max(length(text)) FROM memory_chunks") <= LONGEST_CHUNK


async def test_a_whatsapp_body_longer_than_a_message_is_refused_and_nothing_stored(
    client, services
):
    form = inbound_form("SM" + "5" * 32, "x" * (MAX_MESSAGE_CHARS + 1))
    answer = await post_signed(client, "/webhooks/twilio/whatsapp", form)
    assert answer.status_code == 413
    assert count(services.memory.url, "SELECT count(*) FROM webhook_events") == 0


async def test_a_twilio_request_over_a_megabyte_is_refused(client, services):
    form = inbound_form("SM" + "6" * 32, "Hola", Padding="é" * 200_000)  # 1.2 MB encoded
    answer = await post_signed(client, "/webhooks/twilio/whatsapp", form)
    assert answer.status_code == 413
    assert count(services.memory.url, "SELECT count(*) FROM webhook_events") == 0


async def test_a_1mb_transcript_turn_is_stored_cut_and_the_call_is_analysed(client, services):
    payload = call_payload()
    payload["data"]["transcript"][1]["message"] = long_text(1024 * 1024)
    answer = await post_call(client, payload)
    assert answer.status_code == 200
    await wait_until(lambda: jobs_done(services.memory.url), timeout=60)
    url = services.memory.url
    assert count(url, "SELECT max(length(text)) FROM messages") == MAX_MESSAGE_CHARS
    assert count(url, "SELECT max(length(text)) FROM memory_chunks") <= LONGEST_CHUNK
    assert count(url, "SELECT count(*) FROM interactions WHERE summary IS NOT NULL") == 1


async def test_a_post_call_body_over_16_mib_is_refused(client, services):
    payload = call_payload()
    payload["data"]["transcript"][1]["message"] = "x" * (16 * 1024 * 1024)
    assert (await post_call(client, payload)).status_code == 413
    assert count(services.memory.url, "SELECT count(*) FROM webhook_events") == 0


async def test_a_live_tool_body_over_64_kib_is_refused(client):
    answer = await client.post(
        "/elevenlabs/tools/recall_conversations",
        json={"caller_id": "+573001112233", "query": "x" * 70_000},
        headers={"X-Hilo-Secret": TOOLS_SECRET},
    )
    assert answer.status_code == 413


def test_only_the_beginning_of_a_long_text_is_embedded(embeddings):
    start = long_text(MAX_EMBED_CHARS)
    assert embeddings.embed_query(start) == embeddings.embed_query(start + " y otra cosa" * 500)


async def test_a_long_text_is_embedded_off_the_event_loop(embeddings, monkeypatch):
    threads: list[int] = []
    encode = embeddings._encode

    def recording(texts):
        threads.append(threading.get_ident())
        return encode(texts)

    monkeypatch.setattr(embeddings, "_encode", recording)
    await embeddings.aembed_query("¿cuánto cuesta?")
    await embeddings.aembed_query(long_text(READ_CHARS))
    await embeddings.aembed_documents([long_text(READ_CHARS)])
    loop = threading.get_ident()
    assert threads[0] == loop and threads[1] != loop and threads[2] != loop
