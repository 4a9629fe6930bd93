"""What a customer attached to a message (WhatsApp media), in words.

Hilo cannot view or hear an attachment yet. A media-only message gets a fixed answer in the
guard; one with a caption goes to the model, which is told what came with it (a line of the
prompt for an LLM, the turn's `attachments` for the rules model), so the reply acknowledges it
and a person is asked to review it. A voice note transcribed (`channels.voice_notes`) was heard:
its transcript is the message.
"""

from __future__ import annotations

from typing import Any

_NAMES = {
    "audio": ("audio", "voice note"),
    "image": ("imagen", "image"),
    "video": ("video", "video"),
}
_DOCUMENTS = ("application/pdf", "application/msword", "application/vnd.")


def media_kind(item: dict[str, Any], language: str) -> str:
    """ "imagen" / "image", "documento" / "document" for a PDF or office file, else "archivo"."""
    content_type = str(item.get("content_type", "")).lower()
    if content_type.startswith(_DOCUMENTS):
        es, en = "documento", "document"
    else:
        es, en = _NAMES.get(content_type.split("/")[0], ("archivo", "file"))
    return en if language == "en" else es


def media_kinds(media: list[dict[str, Any]] | None, language: str) -> tuple[str, ...]:
    """The kinds of a message's attachments Hilo could not read, each once, in order (a voice
    note transcribed is the message's text: it is not one of them)."""
    unread = [item for item in media or [] if not item.get("transcribed")]
    return tuple(dict.fromkeys(media_kind(item, language) for item in unread))
