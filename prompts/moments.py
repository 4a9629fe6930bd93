"""A moment in words, as the customer and the operator read it: the business's time zone, day
and month names in the customer's language, and a part of the day kept as a window ("en la
mañana") rather than turned into the clock time stored for it.

`say_moment` is the one wording of due times: the agent's replies, the callback and next-action
texts an operator reads, and the eval's check of what the dashboard shows all use it. A moment
less than two weeks from `reference` is named by weekday and day ("el lunes 7"); one further
away also by month ("el lunes 4 de enero"), so the text never leaves the month to guess.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Part = Literal["morning", "afternoon", "evening", "day"]
PARTS: tuple[str, ...] = ("morning", "afternoon", "evening", "day")

WEEKDAYS = {
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
_PART_WORDS = {
    "es": {"morning": "en la mañana", "afternoon": "en la tarde", "evening": "en la noche"},
    "en": {
        "morning": "in the morning",
        "afternoon": "in the afternoon",
        "evening": "in the evening",
    },
}
_NEAR = timedelta(days=13)


def say_moment(
    moment: datetime,
    language: str,
    timezone: str = "America/Bogota",
    part: str | None = None,
    *,
    reference: datetime | None = None,
    article: bool = True,
) -> str:
    """ "el lunes 7 a las 18:00", "el martes 8 en la mañana", "on Monday 7 at 18:00".

    `part`: only that part of the day was said ("morning"…), or only the day ("day"): no clock
    time is named then. Without `reference` the month is always named. `article`: "el"/"on"
    before the day (a title after a dash reads "— jueves 26" without it)."""
    lang = "en" if language == "en" else "es"
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone) if moment.tzinfo is not None else moment
    near = reference is not None and abs(local - reference.astimezone(zone)) <= _NEAR
    weekday, month = WEEKDAYS[lang][local.weekday()], MONTHS[lang][local.month - 1]
    if lang == "en":
        day = f"{weekday} {local.day}" if near else f"{weekday} {month} {local.day}"
        day = f"on {day}" if article else day
    else:
        day = f"{weekday} {local.day}" if near else f"{weekday} {local.day} de {month}"
        day = f"el {day}" if article else day
    if part == "day":
        return day
    if part in _PART_WORDS[lang]:
        return f"{day} {_PART_WORDS[lang][part]}"
    return f"{day} at {local:%H:%M}" if lang == "en" else f"{day} a las {local:%H:%M}"
