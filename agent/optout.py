"""Opt-out and opt-in words, in one place: the webhook, the graph guard and the rules use it.

WhatsApp through Twilio has no documented automatic STOP handling, so Hilo detects it itself.
A message counts as an opt-out when it is one of the keywords on its own, or says clearly not
to be written to again ("no me escriban más", "stop messaging me").

A keyword on its own is not an opt-out when it answers our own question: when the message just
before it in the conversation is a question of ours (the agent's or an operator's) that holds
that word ("¿la cuota la prefiere alta o baja?" → "baja"), the customer is picking one of the
options we offered or echoing our verb, as people answer in Spanish. The one exception is a
question about opting out itself ("¿quiere darse de baja?"), where the echo means yes. The
explicit phrases ("no me escriban más") opt out whatever was asked. The same rule holds for
the opt-in keywords ("alta").
"""

from __future__ import annotations

import re
import unicodedata

_KEYWORDS_OUT = {
    "stop",
    "baja",
    "unsubscribe",
    "cancelar suscripcion",
    "stopall",
    "end",
    "quit",
    "darme de baja",
    "dar de baja",
    "alto",
}
_KEYWORDS_IN = {"start", "alta", "unstop", "subscribe", "reanudar", "volver a escribir"}
_PHRASES_OUT = [
    # "No me llamen más" is about phone calls, not about WhatsApp messages.
    r"\bno (me|nos) (escrib|mand|envi|contact)\w* (mas|nunca)\b",
    r"\bno (me|nos) vuelva[ns]? a (escribir|contactar|mandar)\b",
    r"\bdej(e|en|a) de (escribir|mandar|enviar)me\b",
    r"\bdej(e|en|a)n? de (escribirme|contactarme|molestarme|mandarme)\b",
    r"\b(quiero|quisiera) darme de baja\b",
    r"\bsaca(me|nme) de (la|su|tu|sus) (lista|base)\b",
    r"\b(stop|quit) (messaging|texting|contacting|writing to) me\b",
    r"\bdon'?t (message|text|contact|write to) me (again|anymore)\b",
    r"\bunsubscribe me\b",
    r"\bremove me from (your|the) list\b",
]
_OUT_RE = [re.compile(p) for p in _PHRASES_OUT]
_PHRASES_IN = [
    r"\b(quiero|quisiera|deseo) (volver a )?recibir (sus |los |de nuevo )?(mensajes|informacion)"
    r"( de nuevo| otra vez)?\b",
    r"\b(start|resume) (messaging|texting) me\b",
    r"\bsubscribe me again\b",
]
_IN_RE = [re.compile(p) for p in _PHRASES_IN]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w' ]+", " ", text).split())


# A question of ours about the subscription itself: a keyword echoing it means yes.
_ASKS_ABOUT_SUBSCRIPTION = re.compile(
    r"\b(dar|darse|darte|darle|darlo|darla) de (baja|alta)\b|\bdejar de recibir\b"
    r"|\b(volver a|seguir) recibi\w*|\b(unsubscribe|opt out|opt in|stop receiving)\b"
)


def answers_question(text: str | None, asked: str | None) -> bool:
    """Whether `text`, a bare keyword, repeats a word of `asked`, our own question just before
    it (an option we offered, or our verb echoed back), so it answers that question."""
    if not text or not asked or "?" not in asked:
        return False
    folded, question = _fold(text), _fold(asked)
    if not folded or _ASKS_ABOUT_SUBSCRIPTION.search(question):
        return False
    return set(folded.split()) <= set(question.split())


def is_opt_out(text: str | None, *, asked: str | None = None) -> bool:
    """True when the customer asks not to receive more messages. `asked`: the message just
    before it in the conversation, when it was ours (the module docstring's rule)."""
    if not text:
        return False
    folded = _fold(text)
    if folded in _KEYWORDS_OUT:
        return not answers_question(text, asked)
    return any(p.search(folded) for p in _OUT_RE)


def is_opt_in(text: str | None, *, asked: str | None = None) -> bool:
    """True when the customer asks to receive messages again (START and its Spanish forms)."""
    if not text:
        return False
    folded = _fold(text)
    if folded in _KEYWORDS_IN:
        return not answers_question(text, asked)
    return any(p.search(folded) for p in _IN_RE)
