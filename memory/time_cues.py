"""Time cues in a recall query: "la primera vez", "the last call", "en marzo", "last week".

On a long history the same topic comes up again at other dates with other values; what tells
the sessions apart is when they happened, which the words of a chunk do not say. `read_cues`
finds the cues of either language (the phrases are data, memory/time_cues.json) and returns
the query without them — "vez", "llamada" or "marzo" would otherwise match small talk. recall
then searches a larger pool with that query and `apply_cues` reorders it by session time:
chunks outside a date or channel constraint go last, and for an order cue the most relevant
candidates are sorted by time, oldest or newest first. A channel alone ("en la llamada") is
no cue: only with an order or a date does it say which session is meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from memory.chunks import fold_accents

DATA = Path(__file__).with_name("time_cues.json")
Order = Literal["earliest", "latest"]

# Measured on evals/longhistory's 304 time-cued questions, tuned on customers c00–c05 and
# checked on c06–c11 (hybrid hit@1 / @3 / @5): no cues 0.340/0.787/0.913 and 0.279/0.721/0.903;
# cue words out of the query only 0.387/0.847/0.953 and 0.299/0.760/0.981; with the reordering
# below 0.900/0.953/0.973 and 0.864/0.981/0.994. Sorting chunks by their own time rather than
# by their session's put a WhatsApp greeting before the answer (hit@1 0.807 then). POOL 20 or
# 40 and ORDER_WINDOW 5…10 give the same figures; ORDER_SHARE 0.6/0.7/0.8/0.9 give hit@1
# 0.793/0.793/0.893/0.887 on c00–c05. A fused score is a reciprocal-rank sum, so the share is
# of rank-based scores: 0.85 keeps roughly what both sides rank in their top few.
POOL = 30
# An order cue sorts the candidates scoring at least ORDER_SHARE of the best one, at most
# ORDER_WINDOW of them; the rest follow by relevance.
ORDER_WINDOW = 5
ORDER_SHARE = 0.85


class TimedHit(Protocol):
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def channel(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def interaction_id(self) -> int: ...


@dataclass(frozen=True)
class TimeCues:
    """What a query says about when: an order, a channel, a month, a day, a span."""

    order: Order | None = None
    channel: str | None = None
    month: int | None = None
    day: int | None = None
    relative: str | None = None  # "yesterday", "last_week", "last_month"

    @property
    def any(self) -> bool:
        return bool(self.order or self.month or self.relative)


def _phrase(text: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in text.split()) + r"(?!\w)"


@dataclass(frozen=True)
class _Patterns:
    order: list[tuple[Order, re.Pattern[str]]]
    channel: list[tuple[str, re.Pattern[str]]]
    relative: list[tuple[str, re.Pattern[str]]]
    months: list[re.Pattern[str]]  # January first; each with an optional day number around it


@cache
def _patterns() -> _Patterns:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    languages = [v for k, v in data.items() if not k.startswith("_")]

    def alternation(phrases: list[str]) -> re.Pattern[str]:
        ordered = sorted({fold_accents(p.lower()) for p in phrases}, key=len, reverse=True)
        return re.compile("|".join(_phrase(p) for p in ordered))

    order: list[tuple[Order, re.Pattern[str]]] = [
        ("earliest", alternation([p for lang in languages for p in lang["earliest"]])),
        ("latest", alternation([p for lang in languages for p in lang["latest"]])),
    ]
    channels = sorted({c for lang in languages for c in lang["channel"]})
    channel = [
        (c, alternation([p for lang in languages for p in lang["channel"].get(c, [])]))
        for c in channels
    ]
    kinds = sorted({r for lang in languages for r in lang["relative"]})
    relative = [
        (r, alternation([p for lang in languages for p in lang["relative"].get(r, [])]))
        for r in kinds
    ]
    months = []
    for m in range(12):
        names = "|".join(lang["months"][m] for lang in languages)
        months.append(
            re.compile(
                rf"(?<!\w)(?:(?:el\s+|on\s+|the\s+)?(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:de\s+|of\s+)?)?"
                rf"(?:en\s+|de\s+|in\s+)?(?:{names})(?!\w)(?:\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\w))?"
            )
        )
    return _Patterns(order=order, channel=channel, relative=relative, months=months)


def read_cues(query: str) -> tuple[TimeCues, str]:
    """The time cues of `query` and the query without them (both languages are read)."""
    text = original = fold_accents(query.lower())
    patterns = _patterns()
    order: Order | None = None
    relative = month = day = None
    for name, pattern in patterns.order:
        if pattern.search(text):
            # "primera llamada" and "última llamada" both: the first named wins.
            order = order or name
            text = pattern.sub(" ", text)
    for name_, pattern in patterns.relative:
        if pattern.search(text):
            relative = relative or name_
            text = pattern.sub(" ", text)
    for m, pattern in enumerate(patterns.months, start=1):
        found = pattern.search(text)
        if found and month is None:
            month = m
            number = found.group("d1") or found.group("d2")
            day = int(number) if number and 1 <= int(number) <= 31 else None
            text = text[: found.start()] + " " + text[found.end() :]
    if not (order or month or relative):
        return TimeCues(), query
    # Read in the query as it came: "última llamada" names the channel too.
    named = [name for name, pattern in patterns.channel if pattern.search(original)]
    channel = named[0] if named else None
    if channel:
        for _, pattern in patterns.channel:
            text = pattern.sub(" ", text)
    cues = TimeCues(order=order, channel=channel, month=month, day=day, relative=relative)
    rest = re.sub(r"\s+", " ", text).strip(" ?¿!¡.,")
    return cues, rest if cues.any and rest else query


def _span(cues: TimeCues, now: datetime) -> tuple[date, date] | None:
    today = now.date()
    if cues.relative == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if cues.relative == "last_week":
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if cues.relative == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    return None


def _fits(hit: TimedHit, cues: TimeCues, span: tuple[date, date] | None, tz: ZoneInfo) -> bool:
    local = hit.occurred_at.astimezone(tz).date()
    if cues.channel and hit.channel != cues.channel:
        return False
    if cues.month and local.month != cues.month:
        return False
    if cues.day and local.day != cues.day:
        return False
    return span is None or span[0] <= local <= span[1]


H = TypeVar("H", bound=TimedHit)


def apply_cues(
    hits: Sequence[H], cues: TimeCues, *, now: datetime | None = None, timezone: str = "UTC"
) -> list[H]:
    """`hits` (best first) reordered by the cues: constrained ones first, then by time."""
    tz = ZoneInfo(timezone)
    span = _span(cues, (now or datetime.now(UTC)).astimezone(tz))
    fits = [_fits(h, cues, span, tz) for h in hits]
    inside = [h for h, fit in zip(hits, fits, strict=True) if fit]
    outside = [h for h, fit in zip(hits, fits, strict=True) if not fit]
    if cues.order and inside:
        best = inside[0].score
        window = [h for h in inside[:ORDER_WINDOW] if h.score >= ORDER_SHARE * best]
        rest = [h for h in inside if h not in window]
        # Sessions (calls, WhatsApp conversations) by when they began; the chunks of one
        # session by relevance, not by time: its first chunk is often the greeting.
        began: dict[int, datetime] = {}
        for h in window:
            began[h.interaction_id] = min(began.get(h.interaction_id, h.occurred_at), h.occurred_at)
        window.sort(key=lambda h: -h.score)
        window.sort(key=lambda h: began[h.interaction_id], reverse=cues.order == "latest")
        inside = window + rest
    return inside + outside
