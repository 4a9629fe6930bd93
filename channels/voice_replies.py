"""Replying by voice to a voice note (`HILO_VOICE_REPLIES`): the reply's text synthesised with
ElevenLabs text-to-speech through the `elevenlabs` SDK (`text_to_speech.convert`, the voice
`ELEVENLABS_VOICE_ID`, MP3, which WhatsApp plays as audio)."""

from __future__ import annotations

from typing import Any

from channels.elevenlabs_calls import build_elevenlabs

TTS_MODEL = "eleven_multilingual_v2"
OUTPUT_FORMAT = "mp3_44100_128"
CONTENT_TYPE = "audio/mpeg"
MAX_CHARS = 1500  # a spoken reply of about a minute and a half; the text goes out whole


def voice_replies_enabled(settings: Any) -> bool:
    return bool(
        settings.voice_replies
        and settings.elevenlabs_api_key
        and settings.elevenlabs_voice_id
        and settings.public_url
    )


async def synthesize(settings: Any, text: str, language: str) -> bytes:
    client = build_elevenlabs(settings)
    chunks = client.text_to_speech.convert(
        settings.elevenlabs_voice_id,
        text=text[:MAX_CHARS],
        model_id=TTS_MODEL,
        language_code=language,
        output_format=OUTPUT_FORMAT,
    )
    return b"".join([chunk async for chunk in chunks])
