"""A voice note answered with a voice note too (`HILO_VOICE_REPLIES`): once the turn's text
reply is stored (and indexed, as every reply), its audio is synthesised, kept for one fetch at
an unguessable URL under `HILO_PUBLIC_URL` that expires (`memory.voice_replies`), and sent
through the outbox as a WhatsApp audio message. It is an extra: a synthesis that fails is
logged, and the text reply has gone out regardless."""

from __future__ import annotations

import logging
from datetime import timedelta

from agent import Inbound, TurnResult
from channels.voice_replies import CONTENT_TYPE, synthesize, voice_replies_enabled
from config import Settings
from memory import Memory
from memory.voice_replies import store_voice_reply
from tools.outbox import OptedOut, Outbox

log = logging.getLogger(__name__)
TTL = timedelta(minutes=10)  # Twilio fetches the media when it sends, within seconds
ROUTE = "/media/voice/"


def answers_a_voice_note(last: Inbound) -> bool:
    return any(item.get("transcribed") for item in last.media or [])


async def send_voice_reply(
    memory: Memory,
    settings: Settings,
    outbox: Outbox,
    customer_id: int,
    last: Inbound,
    result: TurnResult,
    language: str,
) -> int | None:
    """The id of the audio message queued, or None (off, not a voice note, no reply, failed)."""
    if not voice_replies_enabled(settings) or not answers_a_voice_note(last) or not result.reply:
        return None
    if result.skipped:
        return None
    try:
        audio = await synthesize(settings, result.reply, language)
    except Exception as exc:  # an extra: the text reply is out already
        log.warning("voice reply not synthesised", extra={"error": f"{type(exc).__name__}"})
        return None
    token = await store_voice_reply(memory, customer_id, audio, CONTENT_TYPE, ttl=TTL)
    url = f"{str(settings.public_url).rstrip('/')}{ROUTE}{token}"
    meta = {"media_url": url, "voice_reply_for": result.reply_message_id}
    try:
        return await outbox.send_text(customer_id, "", meta=meta, language=language)
    except OptedOut:
        return None
