"""A rescheduled next action says its new day: "Llamar el lunes 7 a las 18:00" moved to
Wednesday reads "Llamar el miércoles 9 a las 10:00", "Enviar cotización por WhatsApp — jueves
26" moved a day reads "… — viernes 27 a las 09:00". What the action is stays as written.

By the shape `prompts.moments.say_moment` writes (a weekday, its day, maybe its month, then a
clock time or a part of the day), in Spanish or English, accents optional: a phrase of that
shape is the old due day's only when its weekday (and its day and month, when named) are those
of the old due time in the business's time zone; another day named in the text is left alone.
The new moment is worded in the phrase's own language, with or without its article, as a clock
time (a new due time is one: the window is dropped with it). A text that names no moment (an
operator's "Enviar catálogo") is kept as it is: the board shows the due time beside it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

from memory.actions import Reword
from prompts.moments import MONTHS, PARTS, WEEKDAYS, say_moment

_ACCENTS = {"á": "[áa]", "é": "[ée]", "í": "[íi]", "ó": "[óo]", "ú": "[úu]"}
_MERIDIEM = r"(?: ?[ap]\.? ?m\.?)?"  # "a las 6 pm", "at 4:30 p.m." as an operator types them
_SAMPLE = datetime(2026, 1, 5, 12)  # any moment: only the words after its day are used


def _loose(word: str) -> str:
    """A word with its accents optional ("miércoles" also matches "miercoles")."""
    return "".join(_ACCENTS.get(c, re.escape(c)) for c in word)


def _alternatives(words: list[str]) -> str:
    return "|".join(_loose(w) for w in words)


def _part_words(language: str) -> list[str]:
    """ "en la mañana", "in the evening"…: what say_moment puts after the day for a part."""
    day = say_moment(_SAMPLE, language, "UTC", "day")
    return [
        say_moment(_SAMPLE, language, "UTC", p).removeprefix(day).strip()
        for p in PARTS
        if p != "day"
    ]


def _pattern(language: str) -> re.Pattern[str]:
    weekday = rf"(?P<weekday>{_alternatives(WEEKDAYS[language])})"
    month = rf"(?P<month>{_alternatives(MONTHS[language])})"
    parts = _alternatives(_part_words(language))
    if language == "en":
        article, day = r"on", rf"(?: {month} (?P<day>\d{{1,2}})| (?P<day_only>\d{{1,2}}))?"
        clock = rf"at \d{{1,2}}(?::\d{{2}})?{_MERIDIEM}"
    else:
        article, day = r"el", rf"(?: (?P<day>\d{{1,2}})(?: de {month})?)?"
        clock = rf"a las? \d{{1,2}}(?::\d{{2}})?{_MERIDIEM}"
    return re.compile(
        rf"\b(?:(?P<article>{article}) )?{weekday}\b{day}(?: (?:{clock}|{parts}))?(?!\w)",
        re.IGNORECASE,
    )


_PATTERNS = {lang: _pattern(lang) for lang in ("es", "en")}


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _index(names: list[str], said: str) -> int:
    return [_fold(n) for n in names].index(_fold(said))


def _is_old_day(match: re.Match[str], language: str, old: datetime) -> bool:
    if _index(WEEKDAYS[language], match["weekday"]) != old.weekday():
        return False
    day = match["day"] or match.groupdict().get("day_only")
    if day is not None and int(day) != old.day:
        return False
    return match["month"] is None or _index(MONTHS[language], match["month"]) == old.month - 1


def reword_due(
    description: str,
    old_due: datetime | None,
    new_due: datetime,
    timezone: str,
    *,
    reference: datetime,
) -> str:
    """`description` with the old due day's wording replaced by the new due time's (see the
    module docstring); `reference`: now (a day within two weeks is named without its month)."""
    if old_due is None:
        return description
    old = old_due.astimezone(ZoneInfo(timezone))

    def replace(match: re.Match[str], language: str) -> str:
        if not _is_old_day(match, language, old):
            return match[0]
        said = say_moment(
            new_due, language, timezone, reference=reference, article=bool(match["article"])
        )
        return said[:1].upper() + said[1:] if match[0][:1].isupper() else said

    for language, pattern in _PATTERNS.items():
        description = pattern.sub(partial(replace, language=language), description)
    return description


def rewording(timezone: str) -> Reword:
    """What `update_next_action` calls on a reschedule: the text re-worded for the new due time,
    in the business's time zone, as of now."""

    def reword(description: str, old_due: datetime | None, new_due: datetime) -> str:
        return reword_due(description, old_due, new_due, timezone, reference=datetime.now(UTC))

    return reword
