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
# What an opt-out asks for, by its parts rather than by whole sentences: a request to stop
# (a verb of stopping, "no más", "ya no quiero") about messages to the customer (writing,
# sending, contacting, a list, a subscription). Those that say "no" themselves ("no me
# escriban más") are requests as they stand; the others ("quiero darme de baja", "unsubscribe
# me") are not when a negation comes just before them ("no quiero darme de baja, solo …").
_MESSAGES = (
    r"(mensajes?|whats ?apps?|wasaps?|notificaciones|publicidad|promociones|ofertas|spam|msjs?"
    r"|messages?|texts?|notifications|promotions|marketing)"
)
_ASKS_NOT = [
    # "No me escriban más", "no nos vuelvan a contactar", "no me molesten más".
    r"\bno (me|nos) (vuelva[ns]? a |volvais a )?(escrib|contact|molest)\w*"
    r"(an|as|en|es|ais|eis|ir|ar)\b"
    r"(?! (por|al|a mi) (correo|mail|telefono|celular))",
    r"\bno (me|nos) (mand|envi)(en|es|eis|ais|e)\b.{0,20}\b(mas|" + _MESSAGES + r")\b",
    r"\b(ya )?no (quiero|deseo|necesito|me interesa) (recibir|seguir recibiendo|que me"
    r" (escriban|manden|envien|contacten|sigan))\b.{0,30}\b(mas|nada|" + _MESSAGES + r")\b",
    r"\b(ya )?no (quiero|deseo) (mas )?" + _MESSAGES + r"\b",
    r"\bno mas " + _MESSAGES + r"\b",
    r"\bdej\w* de (escrib|mand|envi|contact|molest)\w*",
    r"\bpar\w* de (escrib|mand|envi)\w*(me|nos)\b",
    r"\b(don'?t|do not|never) (message|text|contact|write to|email|whatsapp) (me|us)\b",
    r"\b(i )?(don'?t|do not) want (to (receive|get) )?(any )?(more )?" + _MESSAGES + r"\b",
    r"\bno more " + _MESSAGES + r"\b",
]
_REQUESTS = [
    r"\b(quiero|quisiera|deseo|me quiero|favor|por favor|pueden|puedes)? ?(darme|darnos|dame|denme)"
    r" de baja\b",
    r"\b(borr|sac|saq|elimin|quit|retir)\w* de (la|su|sus|tu|esta|esa|el) (lista|base|listado"
    r"|chat|grupo)\b",
    r"\b(cancelar|anular|quitar|eliminar|terminar) (la |mi |esta |su )?suscripcion\b",
    r"\bdes(u|in)scrib\w*",
    r"\b(stop|quit) (messaging|texting|contacting|writing to|sending|spamming|emailing)\b",
    r"\bunsubscribe\b",
    r"\bopt( me)? out\b",
    r"\b(remove|delete|take) me (from|off) (your|the|this) (list|database|mailing list)\b",
]
# "¿Cómo me doy de baja del gimnasio?", "darme de baja del plan": a service cancelled, not
# the messages; what comes after "de baja"/"suscripción" says which.
_OF_SERVICE = re.compile(
    r"\b(de baja|suscripcion) (de|del|al|a|en) (?!(estos|los|sus|tus|este|esta|la) ?(lista|"
    + _MESSAGES
    + r"|chat|whatsapp|mensajeria))(?!(lista|"
    + _MESSAGES
    + r"|chat|whatsapp)\b)\w+"
)
_NEGATION = re.compile(r"\b(no|not|never|nunca|jamas|ni|don'?t|do not|dont)\b(\W+\w+){0,3}\W*$")
_ASKS_NOT_RE = [re.compile(p) for p in _ASKS_NOT]
# "No me manden más el menú de carnes, solo el vegetariano": what not to send is one thing of
# ours, named after the verb (an article and a noun that is not the messages themselves), not
# every message.
_ONE_THING = re.compile(
    r"\bno (me|nos) (mand|envi)\w* (mas )?(el|la|los|las|ese|esa|esos|esas|este|esta|estos"
    r"|estas|lo de|otra vez el|otra vez la) (?!(" + _MESSAGES + r"|mismos?|mismas?)\b)\w+"
)
_REQUESTS_RE = [re.compile(p) for p in _REQUESTS]
_PHRASES_IN = [
    r"\b(quiero|quisiera|deseo) (volver a )?recibir (sus |los |de nuevo )?(mensajes|informacion)"
    r"( de nuevo| otra vez)?\b",
    r"\b(start|resume) (messaging|texting) me\b",
    r"\bsubscribe me again\b",
]
_IN_RE = [re.compile(p) for p in _PHRASES_IN]


def is_keyword(text: str | None) -> bool:
    """A bare opt-out or opt-in keyword ("baja", "STOP 🙏"), which the conversation may make
    an answer instead."""
    folded = _fold(text or "")
    return folded in _KEYWORDS_OUT or folded in _KEYWORDS_IN


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w' ]+", " ", text).split())


# A question of ours about the subscription itself: a keyword echoing it means yes.
_ASKS_ABOUT_SUBSCRIPTION = re.compile(
    r"\b(dar|darse|darte|darle|darlo|darla) de (baja|alta)\b|\bdejar de recibir\b"
    r"|\b(volver a|seguir) recibi\w*|\b(unsubscribe|opt out|opt in|stop receiving)\b"
    r"|\bno recibir\b|\bpara (dejar de|no) recibir\b"
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


def is_opt_out(text: str | None, *, asked: str | None = None, offered: str | None = None) -> bool:
    """True when the customer asks not to receive more messages. `asked`: the message just
    before it in the conversation, when it was ours (the module docstring's rule); `offered`:
    what we said lately (a bare keyword naming an option there is that choice)."""
    if not text:
        return False
    folded = _fold(text)
    if folded in _KEYWORDS_OUT:
        return not answers_question(text, asked) and not offered_option(text, offered)
    if any(p.search(folded) for p in _ASKS_NOT_RE) and not _ONE_THING.search(folded):
        return True
    if _OF_SERVICE.search(folded):
        return False
    return any(
        not _NEGATION.search(folded[: m.start()]) for p in _REQUESTS_RE for m in p.finditer(folded)
    )


def offered_option(text: str | None, offered: str | None) -> bool:
    """Whether a bare keyword ("Baja 👍", "alta") names one of the options we offered the
    customer lately (`offered`: our recent messages and call turns: "en dos alturas, alta y
    baja", "¿la temporada baja le sirve?"), not about the subscription."""
    if not text or not offered:
        return False
    words = _fold(text).split()
    if len(words) != 1 or _ASKS_ABOUT_SUBSCRIPTION.search(_fold(offered)):
        return False
    word = re.escape(words[0])
    # Offered: one of two or more named side by side ("alta o baja", "alta y baja", "baja,
    # media"), or a word of a question of ours ("¿la prefiere baja?"); a statement that only
    # uses the word ("quedó en la opción baja") offers nothing.
    alternative = re.compile(
        rf"\b{word}\b\s*(,|o|u|y|or|and)\s+\w+|\w+\s*(,|o|u|y|or|and)\s+{word}\b"
    )
    questions = re.findall(r"¿?[^.!?¿]*\?", offered)
    return any(alternative.search(_fold(x)) for x in re.split(r"(?<=[.!?])\s+", offered)) or any(
        re.search(rf"\b{word}\b", _fold(q)) for q in questions
    )


def is_opt_in(text: str | None, *, asked: str | None = None) -> bool:
    """True when the customer asks to receive messages again (START and its Spanish forms)."""
    if not text:
        return False
    folded = _fold(text)
    if folded in _KEYWORDS_IN:
        return not answers_question(text, asked)
    return any(p.search(folded) for p in _IN_RE)
