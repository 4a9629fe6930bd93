"""A promise said on a call, worded as the next action an operator reads: a short imperative in
the customer's language ("Perfecto. Te envío la cotización el jueves por WhatsApp." →
"Enviar cotización por WhatsApp — jueves 26"; "I'll send the written quote by WhatsApp
tomorrow." → "Send the written quote on WhatsApp — Tuesday 24"; a callback → "Llamar el lunes
7 a las 18:00").

By mechanism, not phrase: the verbs of the promise (a first-person present, "voy a …", "déjeme
…", "I'll …") become imperatives, each followed by its object (what the clause says between it
and the next verb, time words and the channel taken out, a Spanish leading article dropped);
the channel ("por WhatsApp", "by email") goes after the objects and the due day (from the
resolved due date, in the business's time zone) after a dash. An appointment agreed rather than
an act promised ("queda agendado …", "you're booked …") reads "Realizar cita …"/"Hold the
appointment …". What must stay lexical — the verbs a promise is made with — is the data below.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from prompts import entry
from prompts.moments import say_moment

# Infinitive (Spanish) or base form (English) → the imperative shown; Spanish task lists use
# the infinitive ("Enviar cotización").
_VERBS = {
    "es": {
        "enviar": "enviar",
        "mandar": "enviar",
        "pasar": "enviar",
        "compartir": "compartir",
        "confirmar": "confirmar",
        "avisar": "avisar",
        "agendar": "agendar",
        "reservar": "reservar",
        "programar": "programar",
        "escribir": "escribir",
        "llamar": "llamar",
        "verificar": "verificar",
        "consultar": "consultar",
        "revisar": "revisar",
        "averiguar": "averiguar",
        "calcular": "calcular",
        "cotizar": "cotizar",
        "preparar": "preparar",
        "activar": "activar",
        "instalar": "instalar",
    },
    "en": {
        "send": "send",
        "email": "email",
        "text": "text",
        "share": "share",
        "confirm": "confirm",
        "schedule": "schedule",
        "book": "book",
        "call": "call",
        "check": "check",
        "find out": "find out",
        "get back to you": "get back to the customer",
        "prepare": "prepare",
        "activate": "activate",
    },
}
_CLITICS = r"(?:se |me |te |le |les |lo |la |los |las |nos )*"
_ATTACHED = r"(?:te|le|les|lo|la|los|las|me|nos|selo|sela|telo|tela)?"
_FIRST_PERSON = {"ar": ("o", "amos"), "er": ("o", "emos"), "ir": ("o", "imos")}
_LEAD_ES = r"(?:voy a|vamos a|dejeme|dejame|deje|tengo que|tenemos que|quedamos en|hay que)"
_LEAD_EN = (
    r"(?:i'?ll|we'?ll|i will|we will|let me|i'?m going to|we'?re going to|i can|we can)"
    r"(?: (?:also|just|then))?"
)
_AGREED = {
    "es": re.compile(
        r"\b(queda(?:mos|n)? (?:agendad|reservad|programad|confirmad)[oa]s?|quedamos"
        r"|agendad[oa]|reservad[oa])\b"
    ),
    "en": re.compile(r"\b(you'?re (?:booked|scheduled|all set)|booked|scheduled)\b"),
}
_CHANNELS = {
    "es": [
        (r"(?:por|al|a tu|a su|por el) (?:whats ?app|wasap|wsp)", "por WhatsApp"),
        (r"(?:por|al|a tu|a su|por el) (?:correo(?: electronico)?|e-?mail|mail)", "por correo"),
        (r"por (?:sms|mensaje de texto)", "por SMS"),
    ],
    "en": [
        (r"(?:by|on|via|over|through) whats ?app", "on WhatsApp"),
        (r"(?:by|via|to your|through) e-?mail", "by email"),
        (r"(?:by|via) (?:sms|text(?: message)?)", "by text"),
    ],
}
_TIME_WORDS = re.compile(
    r"\b(?:(?:el|este|esta|the|this|next|on|el proximo|la proxima) )?"
    r"(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday)\b"
    r"|\b(?:pasado )?manana\b(?! (?:en|por|de) la)|\bhoy\b|\btomorrow\b|\btoday\b|\btonight\b"
    r"|\b(?:a las|a la|at|by|para las) \d{1,2}(?::\d{2})?(?: ?(?:am|pm|a\. ?m\.|p\. ?m\.))?"
    r"(?: (?:de|en|por) la (?:manana|tarde|noche))?"
    r"|\b\d{1,2}(?::\d{2})? ?(?:am|pm|a\. ?m\.|p\. ?m\.)"
    r"|\b(?:en|por|de|in|this) (?:la |the )?(?:manana|tarde|noche|morning|afternoon|evening)\b"
    r"|\b(?:esta|la proxima|this|next) (?:semana|week)\b"
    r"|\b(?:el )?\d{1,2} de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
    r"|setiembre|octubre|noviembre|diciembre)\b"
)
_FILLER = re.compile(
    r"^(?:y|e|and|entonces|ya|mismo|ahora|ahorita|de una|asi|to you|you|it|for you)\b"
    r"|\b(?:y|and|entonces|asi|ya|then|para|for|to|de|con|by|on|until|hasta)$"
)
_ARTICLE_ES = re.compile(r"^(?:el|la|los|las|un|una|unos|unas) ", re.IGNORECASE)
# Where a promise's clause ends: a sentence's end (not the dot of "a.m."), a question, "que …".
_STOP = re.compile(r"(?<![ap]\.m)\.(?=\s|$)|[!?¿;:]|\b(?:que|si|if|so)\b")
_COMMA = re.compile(r",\s")  # "la cotización, con las dos opciones": the rest is detail
# "Me llamo Camilo", "te llamo de Sol Andino": a name, a greeting, no call promised.
_NOT_A_PROMISE = re.compile(r"me llamo\b|(?:te |le |la |lo )?llamo (?:de|desde)\b")
_CALL_VERB = re.compile(r"\b(?:llam\w*|call)\b")


def fold_aligned(text: str) -> str:
    """Lower case without accents, one character for each of `text` (indexes carry over)."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFKD", char.lower())
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append(base if len(base) == 1 else char.lower()[:1] or char)
    return "".join(out)


def _verb_pattern(language: str) -> re.Pattern[str]:
    if language == "en":
        bases = "|".join(sorted(map(re.escape, _VERBS["en"]), key=len, reverse=True))
        return re.compile(rf"\b{_LEAD_EN} (?P<verb>{bases})\b")
    forms = []
    for lemma in _VERBS["es"]:
        stem, ending = lemma[:-2], lemma[-2:]
        person = "|".join(stem + e for e in _FIRST_PERSON[ending])
        forms.append(rf"(?P<{lemma}>{person}|{lemma}{_ATTACHED})")
    # "te envío", "le enviamos", "voy a enviarte", "déjeme verificarlo", "quedamos en llamarle"
    return re.compile(rf"\b(?:{_LEAD_ES} )?{_CLITICS}(?:{'|'.join(forms)})\b")


_PATTERNS = {lang: _verb_pattern(lang) for lang in ("es", "en")}


def _lemma(match: re.Match[str], language: str) -> str:
    if language == "en":
        return match.group("verb")
    return next(name for name, value in match.groupdict().items() if value)


def _clean(original: str, folded: str, language: str) -> str:
    """The object phrase: time words and channel out, fillers and a Spanish article trimmed."""
    spans = [m.span() for m in _TIME_WORDS.finditer(folded)]
    spans += [m.span() for pattern, _ in _CHANNELS[language] for m in re.finditer(pattern, folded)]
    keep = [c for i, c in enumerate(original) if not any(a <= i < b for a, b in spans)]
    text = re.sub(r"\s+", " ", "".join(keep))
    text = re.sub(r"\s+(?=[,.;])|(?<=,)\s*,", "", text).strip(" ,")
    for _ in range(3):
        folded_text = fold_aligned(text)
        match = _FILLER.search(folded_text)
        if match is None:
            break
        text = (text[: match.start()] + text[match.end() :]).strip(" ,")
    return _ARTICLE_ES.sub("", text, count=1) if language == "es" else text


def _channel(folded: str, language: str) -> str | None:
    return next((name for p, name in _CHANNELS[language] if re.search(p, folded)), None)


def _object(original: str, folded: str, language: str) -> str:
    """The object phrase of a verb: its clause up to where it stops being about the promise (a
    question, "que …"), and up to a comma when something is left before it."""
    stop = _STOP.search(folded)
    end = stop.start() if stop else len(original)
    original, folded = original[:end], folded[:end]
    comma = _COMMA.search(folded)
    if comma:
        before = _clean(original[: comma.start()], folded[: comma.start()], language)
        if before:
            return before
    return _clean(original, folded, language)


def _acts(text: str, language: str) -> list[str]:
    """ "Verificar con el equipo técnico", "confirmar": each verb of the promise and its object."""
    folded = fold_aligned(text)
    matches = [
        m
        for m in _PATTERNS[language].finditer(folded)
        if not _NOT_A_PROMISE.match(folded, m.start())
    ]
    acts: list[str] = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        obj = _object(text[match.end() : end], folded[match.end() : end], language)
        verb = _VERBS[language][_lemma(match, language)]
        if acts and acts[-1].split()[0] == verb and not obj:
            continue
        acts.append(f"{verb} {obj}".strip())
    return acts


def _agreed(text: str, language: str) -> str | None:
    """ "Realizar cita con la doctora Castaño", "Realizar demo": an appointment agreed."""
    folded = fold_aligned(text)
    match = _AGREED[language].search(folded)
    if match is None:
        return None
    obj = _object(text[match.end() :], folded[match.end() :], language)
    folded_obj = fold_aligned(obj)
    if language == "en":
        obj = re.sub(r"^(?:for|in|with)\b ?", "", obj, flags=re.IGNORECASE)
        return f"hold {obj}" if obj else "hold the appointment"
    if folded_obj.startswith("para "):
        obj = _ARTICLE_ES.sub("", obj[5:], count=1)
    elif folded_obj.startswith("con ") or not obj:
        obj = f"cita {obj}".strip()
    return f"realizar {obj}"


def word_step(
    text: str,
    *,
    kind: str,
    due: datetime | None,
    part: str | None,
    language: str,
    timezone: str,
    reference: datetime,
    by_customer: bool = False,
) -> str:
    """The next action for a promise sentence (see the module docstring). `part`: the due date
    names only a part of the day ("morning"…) or only the day ("day"); `reference`: the call's
    start (a day within two weeks of it is named without its month)."""
    lang = "en" if language == "en" else "es"
    said = say_moment(due, lang, timezone, part, reference=reference) if due else ""
    if kind == "call":
        called = _CALL_VERB.search(fold_aligned(text))
        rest = text.rstrip(" .!?")
        purpose = re.search(r"\b(?:para|to|so that) .+$", rest[called.end() :]) if called else None
        head = entry("operator", "callback", lang, when=said) if said else _capital(_call(lang))
        tail = _clean(purpose.group(0), fold_aligned(purpose.group(0)), lang) if purpose else ""
        return f"{head} {tail}".strip()
    if by_customer:
        objects = [a.split(" ", 1)[1] for a in _acts(text, lang) if " " in a]
        if objects:
            head = entry("operator", "await_from_customer", lang, what=objects[0])
        else:
            head = entry("operator", "await_customer", lang)
    else:
        acts = _acts(text, lang)
        head = " y ".join(acts) if lang == "es" else " and ".join(acts)
        head = head or _agreed(text, lang) or ""
        if not head:
            head = re.sub(r"\s+", " ", text).strip()[:120]
        channel = _channel(fold_aligned(text), lang)
        if channel and channel not in head:
            head = f"{head} {channel}"
    day = say_moment(due, lang, timezone, part, reference=reference, article=False) if due else ""
    return f"{_capital(head)} — {day}" if day else _capital(head)


def _call(language: str) -> str:
    return "call the customer" if language == "en" else "llamar al cliente"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
