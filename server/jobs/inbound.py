"""Reading an inbound WhatsApp message for its turn: the text, its attachments, and a voice
note's transcript, so the agent answers what was said as if it had been written.

A voice note (an audio attachment without text) is fetched and transcribed
(`channels.voice_notes`) when a transcriber is configured; the transcript becomes the
message's text, stored and indexed like any message, and the attachment is marked
`transcribed` (the dashboard shows it). A retried turn reuses the transcript already stored:
each voice note is transcribed once. A fetch or transcription that fails for good is recorded
on the attachment (`transcription_error`), and the message stays a bare voice note, which the
guard answers by asking the customer to write (as without a transcriber). A tapped button of
the confirmation template (`ButtonPayload` `yes` / `no`) is read as a plain "Sí" / "No".
"""

from __future__ import annotations

import logging
from typing import Any

import prompts
from agent import Inbound
from agent.confirmations import BUTTON_PAYLOADS
from channels.twilio import inbound_media
from channels.voice_notes import (
    Transcriber,
    VoiceNoteFailed,
    build_transcriber,
    is_voice_note,
    transcribe_voice_note,
)
from config import Settings
from memory import Memory
from memory.messages import find_message_by_external_id

log = logging.getLogger(__name__)


async def read_inbound(
    memory: Memory,
    settings: Settings,
    form: dict[str, Any],
    language: str,
    *,
    transcriber: Transcriber | None = None,
) -> Inbound:
    sid = str(form["MessageSid"])
    text = str(form.get("Body") or form.get("ButtonText") or "")
    payload = str(form.get("ButtonPayload") or "").strip().lower()
    if payload in BUTTON_PAYLOADS:
        # A tapped Sí / No of the confirmation template: read as the plain answer, whatever
        # the button's label says.
        text = prompts.message(f"button_{payload}", language)
    media = inbound_media(form) or None
    if text.strip() or not media or not is_voice_note(media[0]):
        return Inbound(text=text, external_id=sid, media=media)
    stored = await find_message_by_external_id(memory, sid)
    if stored is not None and stored.text:
        return Inbound(text=stored.text, external_id=sid, media=stored.media or media)
    transcriber = transcriber or build_transcriber(settings)
    if transcriber is None:
        return Inbound(text="", external_id=sid, media=media)
    note: dict[str, Any] = dict(media[0])
    try:
        spoken = await transcribe_voice_note(settings, transcriber, str(note["url"]), language)
    except VoiceNoteFailed as exc:
        log.warning("voice note not transcribed", extra={"error": str(exc)[:300]})
        note["transcription_error"] = str(exc)[:300]
        return Inbound(text="", external_id=sid, media=[note, *media[1:]])
    note.update(transcribed=True, transcribed_by=transcriber.name)
    return Inbound(text=spoken, external_id=sid, media=[note, *media[1:]])
