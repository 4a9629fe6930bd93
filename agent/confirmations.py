"""Yes/no confirmations: whether our reply asks one, and whether the customer's answer is a
bare yes or no (typed, or a tapped quick-reply button).

A yes/no question is read by its form, not by a list of phrases: its last question (the text
before the final "?", from the start of that sentence or its "¿") has no interrogative word
("qué", "cuándo", "what", "when"…; Hilo's own messages carry their accents, so "qué" the
question word is told from "que" the conjunction) and offers no alternatives ("o", "or"). Such
a reply may be sent with buttons (`TWILIO_CONFIRM_CONTENT_SID`), and a bare "sí" to it takes up
what it proposed (the rules model reads the question as the customer's request).
"""

from __future__ import annotations

import re
import unicodedata

_INTERROGATIVE = re.compile(
    r"(qué|cuál|cuáles|cuándo|cuánto|cuánta|cuántos|cuántas|cómo|dónde|adónde|quién|quiénes)"
    r"(?!\w)|\b(what|which|when|how|where|who|whom|whose|why)\b",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(r"\b(o|u|or)\b", re.IGNORECASE)
_YES = {
    "si", "yes", "claro", "dale", "ok", "okay", "de acuerdo", "si por favor", "por favor",
    "va", "listo", "perfecto", "correcto", "confirmo", "si claro", "claro que si", "sure",
    "yes please", "yep", "yeah", "of course", "si gracias", "si señor", "si senor",
}  # fmt: skip
_NO = {"no", "no gracias", "nope", "no thanks", "ahora no", "not now", "todavia no"}
BUTTON_PAYLOADS = ("yes", "no")  # the ids of the confirmation template's two buttons


def last_question(text: str | None) -> str | None:
    """The last question of a message (without its marks), or None when it asks nothing."""
    if not text or "?" not in text:
        return None
    head = text[: text.rindex("?")]
    start = max(head.rfind(mark) for mark in ".!?¿\n")
    return head[start + 1 :].strip() or None


def asks_yes_no(text: str | None) -> bool:
    """Whether the message ends by asking a yes/no question (see the module docstring)."""
    question = last_question(text)
    if question is None:
        return False
    return not _INTERROGATIVE.search(question) and not _ALTERNATIVE.search(question)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w ]+", " ", text).split())


def is_yes(text: str | None) -> bool:
    return bool(text) and _fold(text or "") in _YES


def is_no(text: str | None) -> bool:
    return bool(text) and _fold(text or "") in _NO
