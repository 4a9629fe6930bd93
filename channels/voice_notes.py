"""Voice notes on WhatsApp: the audio fetched from Twilio and transcribed, so the agent reads
what the customer said as if they had written it.

Twilio's media URLs are fetched with the account's credentials (HTTP basic auth, as Twilio
documents); the redirect to Twilio's media store is followed, and the credentials are not sent
there (httpx drops them across origins). The twilio SDK's HTTP client decodes every answer as
text, which would corrupt audio, so the bytes are read with httpx, streamed, with a size limit
and a content-type check; `TWILIO_API_BASE_URL` is honoured as for sends. Transcription goes
through the `elevenlabs` SDK (Speech-to-Text, with the customer's language as a hint; its base
URL from `ELEVENLABS_BASE_URL`) or, with only an OpenAI key, the `openai` SDK; both SDKs retry
429 and 5xx answers themselves. Ogg/Opus voice notes are always named `.ogg`: some providers
refuse the `.oga` name (Chatwoot's users hit it with OpenAI) though the bytes are the same.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

MAX_AUDIO_BYTES = 16 * 1024 * 1024  # WhatsApp's own limit for an audio message
FETCH_ATTEMPTS = 3
FETCH_BACKOFF = 0.5  # seconds, doubled after each failed attempt
TRANSCRIBE_RETRIES = 3  # the SDK's retries of a 429 or 5xx answer
TWILIO_HOSTS = ("api.twilio.com",)
# File names providers accept, by content type (without parameters such as `codecs=opus`).
EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/oga": "ogg",
    "audio/opus": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/m4a": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/webm": "webm",
}


class VoiceNoteFailed(Exception):
    """The voice note could not be fetched or transcribed; `reason` says why (recorded)."""


def is_voice_note(item: dict[str, Any]) -> bool:
    return str(item.get("content_type", "")).split(";")[0].strip().startswith("audio/")


def file_name(content_type: str) -> str:
    """The name the audio is uploaded under: `.ogg` for Ogg/Opus (never `.oga`)."""
    kind = content_type.split(";")[0].strip().lower()
    return f"voice-note.{EXTENSIONS.get(kind, 'ogg')}"


@dataclass(frozen=True)
class Audio:
    data: bytes
    content_type: str


class Transcriber(Protocol):
    name: str

    async def transcribe(self, audio: Audio, language: str) -> str: ...


class ElevenLabsTranscriber:
    name = "elevenlabs"

    def __init__(self, api_key: str, model: str, base_url: str | None = None) -> None:
        from elevenlabs import AsyncElevenLabs

        kwargs: dict[str, Any] = {"api_key": api_key}
        if base_url:
            kwargs["base_url"] = base_url
        self.client = AsyncElevenLabs(**kwargs)
        self.model = model

    async def transcribe(self, audio: Audio, language: str) -> str:
        result = await self.client.speech_to_text.convert(
            model_id=self.model,
            file=(file_name(audio.content_type), audio.data, audio.content_type),
            language_code=language,
            tag_audio_events=False,
            request_options={"max_retries": TRANSCRIBE_RETRIES},
        )
        return str(getattr(result, "text", "") or "").strip()


class OpenAITranscriber:
    name = "openai"

    def __init__(self, api_key: str, model: str, base_url: str | None = None) -> None:
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(
            api_key=api_key, base_url=base_url, max_retries=TRANSCRIBE_RETRIES
        )
        self.model = model

    async def transcribe(self, audio: Audio, language: str) -> str:
        result = await self.client.audio.transcriptions.create(
            model=self.model,
            file=(file_name(audio.content_type), audio.data, audio.content_type),
            language=language,
        )
        return str(result.text or "").strip()


def build_transcriber(settings: Any) -> Transcriber | None:
    """ElevenLabs when its key is set, else OpenAI when its key is, else None (no
    transcription: the customer is asked to write)."""
    if settings.elevenlabs_api_key:
        return ElevenLabsTranscriber(
            settings.elevenlabs_api_key.get_secret_value(),
            settings.elevenlabs_stt_model,
            settings.elevenlabs_base_url,
        )
    if settings.openai_api_key:
        return OpenAITranscriber(
            settings.openai_api_key.get_secret_value(),
            settings.openai_transcription_model,
            settings.openai_base_url,
        )
    return None


def media_request_url(url: str, base_url: str | None) -> str:
    """Where to fetch a Twilio media URL: only Twilio's API host (the URL came in a signed
    webhook, but nothing else is fetched with the account's credentials), on another edge
    when `TWILIO_API_BASE_URL` says so."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname not in TWILIO_HOSTS:
        raise VoiceNoteFailed(f"not a Twilio media URL: {parts.scheme}://{parts.hostname}")
    if not base_url:
        return url
    base = urlsplit(base_url.rstrip("/"))
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))


async def fetch_audio(settings: Any, url: str, *, max_bytes: int = MAX_AUDIO_BYTES) -> Audio:
    """The voice note's bytes, fetched with the account's credentials; a failed fetch (network,
    5xx, 429) is retried with a short back-off, then `VoiceNoteFailed`."""
    if not settings.twilio_enabled:
        raise VoiceNoteFailed("Twilio credentials are not set")
    target = media_request_url(url, settings.twilio_api_base_url)
    auth = (settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value())
    wait = FETCH_BACKOFF
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            return await _fetch_once(target, auth, max_bytes, settings.twilio_timeout)
        except _Transient as exc:
            if attempt == FETCH_ATTEMPTS:
                raise VoiceNoteFailed(f"download failed after {attempt} attempts: {exc}") from exc
            log.info("voice note download retried", extra={"attempt": attempt, "error": str(exc)})
            await asyncio.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


class _Transient(Exception):
    pass


async def _fetch_once(url: str, auth: tuple[str, str], max_bytes: int, wait_for: float) -> Audio:
    try:
        async with (
            httpx.AsyncClient(timeout=wait_for, follow_redirects=True) as http,
            http.stream("GET", url, auth=auth) as response,
        ):
            if response.status_code == 429 or response.status_code >= 500:
                raise _Transient(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise VoiceNoteFailed(f"download refused: HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "")
            if not is_voice_note({"content_type": content_type}):
                raise VoiceNoteFailed(f"not audio: {content_type or 'no content type'}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise VoiceNoteFailed(f"audio larger than {max_bytes} bytes")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise VoiceNoteFailed(f"audio larger than {max_bytes} bytes")
    except httpx.TransportError as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    return Audio(bytes(data), content_type)


async def transcribe_voice_note(
    settings: Any, transcriber: Transcriber, url: str, language: str
) -> str:
    """What the customer said in the voice note at `url`; `VoiceNoteFailed` with the reason."""
    audio = await fetch_audio(settings, url)
    try:
        text = await transcriber.transcribe(audio, language)
    except Exception as exc:  # the SDKs raise their own errors, after their retries
        raise VoiceNoteFailed(f"transcription failed ({transcriber.name}): {exc}") from exc
    if not text:
        raise VoiceNoteFailed(f"empty transcription ({transcriber.name})")
    return text
