"""Voice notes through signed webhooks: the audio fetched from Twilio with the account's
credentials, transcribed once by ElevenLabs Speech-to-Text (the real SDK against a local fake),
and answered from memory as if written; failures retried, then the "please write" reply; with
`HILO_VOICE_REPLIES`, answered by voice too, the audio fetched once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from pydantic import SecretStr

from memory import get_or_create_customer, recall, save_call
from memory.voice_replies import store_voice_reply, take_voice_reply
from tests.agent.conftest import ana_call
from tests.agent.fake_openai import FakeOpenAI, text
from tests.channels.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE, inbound_form, post_signed
from tests.channels.fake_elevenlabs import FakeElevenLabs
from tests.waiting import wait_until_drained

AUDIO = b"OggS\x00\x02" + bytes(range(256)) * 8  # stands for an Ogg/Opus voice note
MEDIA_SID = "ME" + "a" * 32
MEDIA_URL = (
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'b' * 32}"
    f"/Media/{MEDIA_SID}"
)
SPOKEN = "¿Me recuerdas cuánto te dije que podíamos pagar?"


@pytest.fixture
def fake_elevenlabs() -> Iterator[FakeElevenLabs]:
    fake = FakeElevenLabs().start()
    fake.transcript = SPOKEN
    yield fake
    fake.stop()


@pytest.fixture
def twilio_settings(twilio_settings, fake_elevenlabs):
    return twilio_settings.model_copy(
        update={
            "elevenlabs_api_key": SecretStr("xi-test-key"),
            "elevenlabs_base_url": fake_elevenlabs.base_url,
        }
    )


@pytest.fixture
def fake_twilio(fake_twilio):
    fake_twilio.credentials = (ACCOUNT_SID, AUTH_TOKEN)
    fake_twilio.media[MEDIA_SID] = (AUDIO, "audio/ogg")
    return fake_twilio


def voice_note(sid: str = "SM" + "v" * 32) -> dict[str, str]:
    return inbound_form(
        sid,
        "",
        NumMedia="1",
        MediaUrl0=MEDIA_URL,
        MediaContentType0="audio/ogg",
        MessageType="audio",
    )


def stt_requests(fake: FakeElevenLabs) -> list[dict]:
    return [r for kind, r in fake.requests if kind == "speech-to-text"]


def stored_note(url: str) -> tuple[str, list[dict]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT text, media FROM messages WHERE role='customer' AND channel='whatsapp'"
        ).fetchone()


async def test_voice_note_is_transcribed_and_answered_from_the_call(
    client, services, fake_twilio, fake_elevenlabs
):
    await save_call(services.memory, ana_call())  # the call where Ana said her budget
    response = await post_signed(client, "/webhooks/twilio/whatsapp", voice_note())
    assert response.status_code == 200
    await wait_until_drained(services.memory.url)
    assert [r["authorized"] for r in fake_twilio.media_requests] == [True]
    [request] = stt_requests(fake_elevenlabs)
    assert request["bytes"] == AUDIO and request["api_key"] == "xi-test-key"
    assert request["language_code"] == "es" and request["filename"].endswith(".ogg")
    [reply] = fake_twilio.messages
    assert "500 mil" in reply["Body"]  # the spoken question, answered from the call's memory
    text, media = stored_note(services.memory.url)
    assert text == SPOKEN
    assert media[0]["url"] == MEDIA_URL and media[0]["transcribed"] is True
    customer = await get_or_create_customer(services.memory, "+573001112233")
    hits = await recall(services.memory, customer.id, "cuánto podíamos pagar", channel="whatsapp")
    assert any(SPOKEN in hit.text for hit in hits)  # indexed for recall like a written message


async def test_a_transcription_that_fails_once_is_retried(
    client, services, fake_twilio, fake_elevenlabs
):
    fake_elevenlabs.stt_failures = [500]
    await post_signed(client, "/webhooks/twilio/whatsapp", voice_note())
    await wait_until_drained(services.memory.url)
    assert len(stt_requests(fake_elevenlabs)) == 2
    assert stored_note(services.memory.url)[0] == SPOKEN
    [reply] = fake_twilio.messages
    assert "audio" not in reply["Body"].lower()


async def test_a_transcription_that_keeps_failing_gets_the_please_write_reply(
    client, services, fake_twilio, fake_elevenlabs
):
    fake_elevenlabs.stt_failures = [500] * 10
    await post_signed(client, "/webhooks/twilio/whatsapp", voice_note())
    await wait_until_drained(services.memory.url)
    [reply] = fake_twilio.messages
    assert "audio" in reply["Body"].lower()
    text, media = stored_note(services.memory.url)
    assert text == "" and "transcription failed" in media[0]["transcription_error"]


async def test_a_download_that_fails_is_retried_then_recorded(
    client, services, fake_twilio, fake_elevenlabs
):
    fake_twilio.media_failures = [503] * 10
    await post_signed(client, "/webhooks/twilio/whatsapp", voice_note())
    await wait_until_drained(services.memory.url)
    assert len(fake_twilio.media_requests) == 3  # retried, then given up
    assert stt_requests(fake_elevenlabs) == []
    [reply] = fake_twilio.messages
    assert "audio" in reply["Body"].lower()
    assert "download failed" in stored_note(services.memory.url)[1][0]["transcription_error"]


async def test_media_is_fetched_only_with_the_accounts_credentials(
    client, services, fake_twilio, fake_elevenlabs
):
    fake_twilio.credentials = (ACCOUNT_SID, "another-token")  # Twilio refuses ours
    await post_signed(client, "/webhooks/twilio/whatsapp", voice_note())
    await wait_until_drained(services.memory.url)
    assert [r["authorized"] for r in fake_twilio.media_requests] == [False]
    assert "refused: HTTP 401" in stored_note(services.memory.url)[1][0]["transcription_error"]


async def test_a_voice_note_is_answered_by_voice_too_and_its_audio_is_fetched_once(
    client, services, fake_twilio, fake_elevenlabs
):
    services.settings.voice_replies = True
    services.settings.elevenlabs_voice_id = "voice_test"
    services.settings.public_url = BASE  # where Twilio fetches the audio (and signed the webhook)
    await save_call(services.memory, ana_call())
    await post_signed(client, "/webhooks/twilio/whatsapp", voice_note())
    await wait_until_drained(services.memory.url)
    text, audio = fake_twilio.messages
    assert "500 mil" in text["Body"]  # the text reply, stored and sent as usual
    [spoken] = [r for kind, r in fake_elevenlabs.requests if kind == "text-to-speech"]
    assert spoken["text"] == text["Body"] and spoken["voice_id"] == "voice_test"
    url = audio["MediaUrl"]
    assert url.startswith(BASE + "/media/voice/") and len(url) > len(BASE) + 50
    fetched = await client.get(url.removeprefix(BASE))
    assert fetched.status_code == 200 and fetched.content == fake_elevenlabs.speech
    assert fetched.headers["content-type"] == "audio/mpeg"
    assert (await client.get(url.removeprefix(BASE))).status_code == 404  # once only


async def test_a_voice_reply_expires_unfetched(services):
    customer = await get_or_create_customer(services.memory, "+573001112233")
    token = await store_voice_reply(
        services.memory, customer.id, b"audio", "audio/mpeg", ttl=timedelta(0)
    )
    assert await take_voice_reply(services.memory, token) is None


async def test_with_only_an_openai_key_openai_transcribes_the_note(client, services, fake_twilio):
    with FakeOpenAI(lambda body: text("unused")) as openai:
        openai.transcript = SPOKEN
        services.settings.elevenlabs_api_key = None
        services.settings.openai_api_key = SecretStr("sk-test")
        services.settings.openai_base_url = openai.base_url
        await save_call(services.memory, ana_call())
        form = voice_note()
        form["MediaContentType0"] = "audio/oga"  # named .ogg all the same: OpenAI refuses .oga
        fake_twilio.media[MEDIA_SID] = (AUDIO, "audio/oga")
        await post_signed(client, "/webhooks/twilio/whatsapp", form)
        await wait_until_drained(services.memory.url)
    [request] = openai.transcriptions
    assert request["bytes"] == AUDIO and request["filename"] == "voice-note.ogg"
    assert "500 mil" in fake_twilio.messages[0]["Body"]
