"""Dates and times in Spanish and English customer text, relative to a moment in a time zone.

"el jueves a las 3", "mañana a las 10", "pasado mañana", "tomorrow at 4pm", "el 5 de
diciembre", "December 5th", "en 2 horas", "cambiar la cita del jueves para el viernes" (the
target day wins). Text must be accent-folded lower case (`agent.rules.intents.fold`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from prompts.moments import MONTHS, say_moment

DEFAULT_TZ = ZoneInfo("America/Bogota")
_MONTHS_ES = MONTHS["es"]

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


def format_when(
    value: str | datetime | None,
    language: str,
    timezone: str = "America/Bogota",
    part: str | None = None,
) -> str:
    """A due time as the customer (and the operator) reads it, in the business's time zone,
    month always named ("el lunes 7 de diciembre a las 18:00", "Monday December 7 at 18:00").
    `part` ("morning"…): only the day is known, and that part of it ("en la mañana")."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return say_moment(moment, language, timezone, part, article=language != "en")


_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b")
_TIME = re.compile(
    r"\b(?:a las|a la|at|las|@)\s*(\d{1,2})(?::(\d{2}))?\s*"
    r"(am|pm|a\.m\.|p\.m\.|de la manana|de la tarde|de la noche|hrs|h)?\b"
    r"|\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|de la manana|de la tarde|de la noche)(?!\w)"
)
_DATE_ES = re.compile(r"\b(?:el )?(\d{1,2}) de (" + "|".join(_MONTHS) + r")\b")
_DATE_EN = re.compile(r"\b(" + "|".join(_MONTHS) + r") (\d{1,2})(?:st|nd|rd|th)?\b")
# "mañana" alone is tomorrow; "la mañana" is the morning. "Más tarde" is no time at all.
_PART_OF_DAY = re.compile(
    r"(?<!mas )\b(tarde|afternoon|noche|evening|tonight|morning)\b|\bla (manana)\b"
)
_PART_HOURS = {
    "manana": 10,
    "morning": 10,
    "tarde": 15,
    "afternoon": 15,
    "noche": 19,
    "evening": 19,
    "tonight": 19,
}
_GREETINGS = re.compile(
    r"\b(buenos dias|buen dia|buenas tardes|buenas noches|good (morning|afternoon|evening|night))\b"
)
_IN_HOURS = re.compile(r"\b(?:en|in) (\d{1,2}) (horas?|hours?)\b")


def _day(folded: str, now: datetime) -> datetime | None:
    # "en/por/de la mañana" is the morning, not tomorrow ("mañana por la mañana" is both).
    stripped = re.sub(r"\b(en|por|de) la manana\b", " ", folded)
    if re.search(r"\bpasado manana\b|\bday after tomorrow\b", stripped):
        return now + timedelta(days=2)
    if re.search(r"\b(manana|tomorrow)\b", stripped):
        return now + timedelta(days=1)
    if re.search(r"\b(hoy|today|esta tarde|this afternoon|tonight|esta noche)\b", folded):
        return now
    # The last weekday named is the one meant: "no puedo el sábado, ¿lo pasamos para el lunes?",
    # "cambiar la cita del jueves para el viernes", "Friday is bad; can we move it to Monday?".
    found = _WEEKDAY.findall(folded)
    name = found[-1] if found else None
    if name is not None:
        if re.search(r"\b(proxima semana|semana que viene|next week)\b", folded):
            # That weekday of next calendar week (weeks start on Monday).
            return now + timedelta(days=7 - now.weekday() + _WEEKDAYS[name])
        return now + timedelta(days=(_WEEKDAYS[name] - now.weekday()) % 7 or 7)
    m_es, m_en = _DATE_ES.search(folded), _DATE_EN.search(folded)
    if m_es or m_en:
        if m_es:
            day_number, month = int(m_es.group(1)), _MONTHS[m_es.group(2)]
        else:
            assert m_en is not None
            day_number, month = int(m_en.group(2)), _MONTHS[m_en.group(1)]
        try:
            day = now.replace(month=month, day=day_number)
        except ValueError:
            return None
        return day.replace(year=now.year + 1) if day.date() < now.date() else day
    return None


def parse_when(folded: str, now: datetime | None = None) -> datetime | None:
    """The moment a text names, as an aware datetime in `now`'s zone, or None.

    A day without a time is 10:00 (15:00 for "por la tarde"); "a las 3" without am/pm in a
    business conversation is 3 pm; a time earlier than now today means tomorrow.
    """
    now = now or datetime.now(DEFAULT_TZ)
    folded = _GREETINGS.sub(" ", folded)  # "buenas tardes" greets; it names no time
    hours = _IN_HOURS.search(folded)
    if hours:
        return (now + timedelta(hours=int(hours.group(1)))).replace(second=0, microsecond=0)
    day = _day(folded, now)
    # The time that goes with the last weekday named, when one follows it ("el viernes a las 5
    # no puedo; mejor el sábado a las 10"); otherwise the first time in the text.
    weekdays = list(_WEEKDAY.finditer(folded))
    after = _TIME.search(folded, weekdays[-1].end()) if weekdays else None
    time_match = after or _TIME.search(folded)
    part = _PART_OF_DAY.search(folded)
    if day is None and time_match is None and part is None:
        return None
    hour, minute = 10, 0
    if time_match:
        groups = time_match.groups()
        hour_text, minute_text, suffix = groups[0:3] if groups[0] else groups[3:6]
        hour, minute = int(hour_text), int(minute_text or 0)
        suffix = (suffix or "").replace(".", "")
        if suffix in ("pm", "de la tarde", "de la noche") and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        elif not suffix and 1 <= hour <= 6:
            hour += 12  # "a las 3" in a business conversation is 3 pm
        if hour > 23 or minute > 59:
            return None
    elif part is not None:
        hour = _PART_HOURS[part.group(1) or part.group(2)]
    result = (day or now).replace(hour=hour, minute=minute, second=0, microsecond=0)
    if day is None and result < now:
        result += timedelta(days=1)  # "a las 9" said after 9: tomorrow
    return result


_PART_NAMES = {
    "manana": "morning",
    "morning": "morning",
    "tarde": "afternoon",
    "afternoon": "afternoon",
    "noche": "evening",
    "evening": "evening",
    "tonight": "evening",
}


def part_of_day(folded: str) -> str | None:
    """ "morning", "afternoon" or "evening" when the text names only a part of the day ("el
    martes en la mañana"), no clock time: the moment `parse_when` gives is then approximate."""
    folded = _GREETINGS.sub(" ", folded)
    if _TIME.search(folded) or _IN_HOURS.search(folded):
        return None
    part = _PART_OF_DAY.search(folded)
    if part:
        return _PART_NAMES[part.group(1) or part.group(2)]
    return "day" if _day(folded, datetime.now(DEFAULT_TZ)) is not None else None
