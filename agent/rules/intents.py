"""Intent and entity detection for the offline rules model (Spanish and English).

Patterns work on accent-folded lower-case text so "cotización" and "cotizacion" read the same.
The order of `_INTENTS` is the precedence: an explicit request for a person beats a price
question in the same message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agent.optout import is_opt_in, is_opt_out

LOCAL_TZ = ZoneInfo("America/Bogota")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_INTENTS: list[tuple[str, list[str]]] = [
    (
        "human",
        [
            r"\b(hablar|comunicar\w*|pasar\w*|contactar)\b.{0,25}\b(persona|humano|asesor\w*|agente|alguien|supervisor|gerente|encargad\w*)\b",
            r"\b(quiero|necesito|prefiero|pasame|pásame|comuniquenme|comunicame)\b.{0,15}\b(una persona|un humano|un asesor|un agente real|alguien real)\b",
            r"\b(talk|speak)\b.{0,20}\b(human|person|agent|someone|representative|manager)\b",
            r"\b(real person|human agent|representative)\b",
            r"\bno (quiero|deseo) (hablar con )?(un )?(robot|bot|maquina)\b",
        ],
    ),
    (
        "anger",
        [
            r"\b(estafa\w*|ladron\w*|rateros?|inutiles?|pesimo|pesima|verguenza|harto|harta|denuncia\w*|abogado|demanda\w*|porqueria)\b",
            r"\b(scam|useless|ridiculous|furious|lawyer|sue you|fed up|terrible service|worst)\b",
            r"!!!",
        ],
    ),
    (
        "complaint",
        [
            r"\b(queja|reclamo|reclamacion|problema|falla\w*|no funciona|no sirve|dan[oa]d[oa]|mal servicio|no me ha llegado|no ha llegado|cobr\w+ (de mas|doble)|molest[oa])\b",
            r"\b(complain\w*|complaint|problem|broken|doesn'?t work|not working|charged twice|never arrived|issue with)\b",
        ],
    ),
    (
        "callback",
        [
            r"\b(llam\w*me|me (pueden|puedes|podrian|podrias) llamar|me llaman|devuelv\w* la llamada|volver a llamar|me vuelven a llamar|llamada de vuelta|que me llamen)\b",
            r"\b(call me|call back|callback|give me a call|ring me)\b",
        ],
    ),
    (
        "schedule",
        [
            r"\b(agend\w*|reagend\w*|reprogram\w*|cita|demo|demostracion|reunion|visita|cambiar (la|el) (fecha|hora|cita|reunion)|mover (la|el) (cita|reunion|demo))\b",
            r"\b(schedule|reschedule|book|appointment|meeting|demo|move the (meeting|call|demo))\b",
        ],
    ),
    (
        "pending",
        [
            r"\b(pendiente\w*|quedaste en|quedamos en|me ibas a|me iban a|ya tienen|ya tienes|que paso con|que hubo de|en que va)\b",
            r"\b(pending|you were going to|you promised|any update|follow ?up on|what happened with)\b",
        ],
    ),
    (
        "quote",
        [
            r"\b(cotiza\w*|precio\w*|cuanto (cuesta|vale|sale|cobran)|costo\w*|tarifa\w*|presupuesto|valor del|plan(es)? de pago|financia\w*|descuento\w*)\b",
            r"\b(quote|price|pricing|how much|cost\w*|budget|discount|estimate)\b",
        ],
    ),
    (
        "recall",
        [
            r"\b(lo que (hablamos|dijimos|te dije|me dijiste|conversamos|acordamos)|me recuerdas|recuerdame|recuerdas|te acuerdas|en la llamada|por telefono|me dijiste|te dije|que habiamos|habiamos hablado)\b",
            r"\b(remind me|what we (talked|discussed|agreed)|on the call|you told me|i told you|do you remember|we discussed)\b",
        ],
    ),
    (
        "thanks",
        [
            r"^\W*(muchas )?(gracias|mil gracias|thank you|thanks|thx|ok gracias|perfecto,? gracias|listo,? gracias)\b"
        ],
    ),
    ("bye", [r"\b(adios|chao|hasta luego|hasta pronto|nos vemos|bye|goodbye|see you)\b"]),
    ("greeting", [r"^\W*(hola|buenas|buenos dias|buenas tardes|buenas noches|hi|hello|hey)\W*$"]),
]
_COMPILED = [(name, [re.compile(p) for p in pats]) for name, pats in _INTENTS]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)\+?\d[\d\s().-]{7,}\d")
_AMOUNT = re.compile(
    r"(?:(?:us)?\$|usd|cop|eur|€)?\s?(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s?"
    r"(mil(?:lones)?|millon(?:es)?|k|m|thousand|million|pesos|dolares|dollars|euros|usd|cop)?",
)
_OTHER_PARTY = re.compile(
    r"\b(otro (numero|cliente|telefono)|otros clientes|a este numero|al numero|other (customer|number)s?|"
    r"this number|ignora (las|tus) instrucciones|ignore (all|your|previous) instructions|system prompt)\b"
)


@dataclass
class Reading:
    """What a customer message says: its intent and the entities in it."""

    intent: str
    when: datetime | None = None
    amounts: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    other_party: bool = False


def classify(text: str, now: datetime | None = None) -> Reading:
    folded = fold(text)
    if is_opt_out(text):
        intent = "opt_out"
    elif is_opt_in(text):
        intent = "opt_in"
    else:
        intent = next(
            (name for name, pats in _COMPILED if any(p.search(folded) for p in pats)), "unknown"
        )
    emails = [m.group(0) for m in _EMAIL.finditer(text)]
    without_emails = _EMAIL.sub(" ", text)
    phones = [re.sub(r"[^\d+]", "", m.group(0)) for m in _PHONE.finditer(without_emails)]
    phones = [p for p in phones if len(re.sub(r"\D", "", p)) >= 8]
    amounts = _amounts(fold(_PHONE.sub(" ", without_emails)))
    when = parse_when(folded, now)
    if intent == "unknown" and (emails or amounts):
        intent = "provide_info"
    if intent == "unknown" and when is not None:
        intent = "schedule"
    return Reading(
        intent=intent,
        when=when,
        amounts=amounts,
        emails=emails,
        phones=phones,
        other_party=bool(phones) or bool(_OTHER_PARTY.search(folded)),
    )


def _amounts(folded: str) -> list[str]:
    found = []
    for m in _AMOUNT.finditer(folded):
        number, unit = m.group(1), m.group(2)
        has_currency = bool(re.match(r"\s*(\$|usd|cop|eur|€)", m.group(0)))
        if unit or has_currency or len(re.sub(r"\D", "", number)) >= 4:
            found.append(m.group(0).strip())
    return found


_WEEKDAYS = {
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "domingo": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_MONTHS = {
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_TIME = re.compile(
    r"\b(?:a las|a la|at|las|@)\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|de la manana|de la tarde|de la noche|hrs|h)?\b"
)
_DATE_NUM = re.compile(r"\b(?:el )?(\d{1,2}) de (" + "|".join(_MONTHS) + r")\b")
_DATE_EN = re.compile(r"\b(" + "|".join(_MONTHS) + r") (\d{1,2})(?:st|nd|rd|th)?\b")


def parse_when(folded: str, now: datetime | None = None) -> datetime | None:
    """Dates and times such as "el jueves a las 3", "mañana a las 10", "tomorrow at 4pm",
    "el 5 de diciembre", "en 2 horas". Returns an aware datetime in the local zone, or None."""
    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    day: datetime | None = None
    if re.search(r"\bpasado manana\b", folded):
        day = now + timedelta(days=2)
    elif re.search(r"\b(manana|tomorrow)\b", folded) and not re.search(
        r"\b(en|por|in) la manana\b|\bthis morning\b", folded
    ):
        day = now + timedelta(days=1)
    elif re.search(r"\b(hoy|today|esta tarde|this afternoon|tonight|esta noche)\b", folded):
        day = now
    hours = re.search(r"\b(?:en|in) (\d{1,2}) (horas?|hours?)\b", folded)
    if hours:
        return (now + timedelta(hours=int(hours.group(1)))).replace(second=0, microsecond=0)
    if day is None:
        for name, weekday in _WEEKDAYS.items():
            if re.search(rf"\b{name}\b", folded):
                ahead = (weekday - now.weekday()) % 7 or 7
                if (
                    re.search(
                        rf"\b(proximo|next) {name}\b|\b{name} (de la )?(proxima|next) semana\b",
                        folded,
                    )
                    and ahead < 7
                ):
                    ahead += 7 if ahead <= 0 else 0
                day = now + timedelta(days=ahead)
                break
    if day is None:
        m = _DATE_NUM.search(folded)
        m_en = _DATE_EN.search(folded)
        if m or m_en:
            d, mo = (
                (int(m.group(1)), _MONTHS[m.group(2)])
                if m
                else (int(m_en.group(2)), _MONTHS[m_en.group(1)])
            )  # type: ignore[union-attr]
            try:
                day = now.replace(month=mo, day=d)
            except ValueError:
                day = None
            if day is not None and day.date() < now.date():
                day = day.replace(year=now.year + 1)
    time_match = _TIME.search(folded)
    if day is None and time_match is None:
        return None
    day = day or now
    hour, minute = 10, 0
    if time_match:
        hour = int(time_match.group(1))
        minute = int(time_match.group(2) or 0)
        suffix = (time_match.group(3) or "").replace(".", "")
        if suffix in ("pm", "de la tarde", "de la noche") and hour < 12:
            hour += 12
        elif not suffix and 1 <= hour <= 6:
            hour += 12  # "a las 3" in a business conversation is 3 pm
        if hour > 23 or minute > 59:
            return None
    elif re.search(r"\b(tarde|afternoon)\b", folded):
        hour = 15
    result = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if result < now and day.date() == now.date() and time_match:
        result += timedelta(days=1)
    return result
