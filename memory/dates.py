"""The one rule for moments Hilo stores (due dates, callbacks, call start times), and reading
stored moments defensively.

A moment is accepted only between `EARLIEST` and `LATEST` (UTC), and only with a UTC offset:
every edge (operator API and dashboard, live and agent tools, the post-call webhook, call
analysis) goes through `check_moment`, which raises `InvalidDate`, and the web app answers
that with 422 in one place. The range keeps every stored value far from the ends of Python's
`datetime` (years 1 and 9999), where a time-zone conversion overflows.

Rows written before this rule (or behind Hilo's back) may still hold year 1, year 9999 or
`infinity`; psycopg cannot load those. The loaders registered here, on psycopg's global
adapters (so on every connection Hilo opens), clamp what they read into the range instead of
raising: such a row shows as due at `EARLIEST` or `LATEST`, and pages, the API and the agent
keep working for that customer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg.types.datetime import (
    TimestampBinaryLoader,
    TimestampLoader,
    TimestamptzBinaryLoader,
    TimestamptzLoader,
)

from memory.errors import InvalidDate

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def in_range(value: datetime) -> bool:
    """Whether an aware moment lies inside the stored range."""
    return EARLIEST <= value <= LATEST


def check_moment(value: datetime, field: str = "date") -> datetime:
    """`value` if it has a UTC offset and lies in the range; `InvalidDate` otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidDate(f"{field} needs a UTC offset, e.g. 2026-11-26T15:00:00-05:00")
    if not in_range(value):
        raise InvalidDate(
            f"{field} {value.isoformat()} is outside {EARLIEST.year}–{LATEST.year - 1}"
        )
    return value


def check_naive_moment(value: datetime, field: str = "date") -> datetime:
    """The range check for a moment that may still lack its offset (a tool argument read in the
    business's time zone later): offsets move it by hours, the range is a century wide."""
    if value.tzinfo is None:
        check_moment(value.replace(tzinfo=UTC), field)
        return value
    return check_moment(value, field)


def clamp(value: datetime) -> datetime:
    """A loaded moment brought into the range (naive ones are compared as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if aware < EARLIEST:
        return EARLIEST if value.tzinfo is not None else EARLIEST.replace(tzinfo=None)
    if aware > LATEST:
        return LATEST if value.tzinfo is not None else LATEST.replace(tzinfo=None)
    return value


def _edge(data: bytes | bytearray | memoryview) -> datetime:
    """The range end a value psycopg cannot represent stands for (±infinity, years <1, >9999)."""
    text = bytes(data).lstrip()
    return EARLIEST if text.startswith(b"-") or text.endswith(b" BC") else LATEST


class _ClampTimestamptz(TimestamptzLoader):
    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        try:
            return clamp(super().load(data))
        except psycopg.DataError:
            return _edge(data)


class _ClampTimestamp(TimestampLoader):
    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        try:
            return clamp(super().load(data))
        except psycopg.DataError:
            return _edge(data).replace(tzinfo=None)


class _ClampTimestamptzBinary(TimestamptzBinaryLoader):
    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        try:
            return clamp(super().load(data))
        except psycopg.DataError:
            # Binary: a negative microsecond count is before 2000-01-01, i.e. before EARLIEST.
            return EARLIEST if bytes(data)[:1] >= b"\x80" else LATEST


class _ClampTimestampBinary(TimestampBinaryLoader):
    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        try:
            return clamp(super().load(data))
        except psycopg.DataError:
            edge = EARLIEST if bytes(data)[:1] >= b"\x80" else LATEST
            return edge.replace(tzinfo=None)


def register_clamping_loaders(adapters: psycopg.adapt.AdaptersMap = psycopg.adapters) -> None:
    """Load timestamps clamped into the range (see the module docstring)."""
    adapters.register_loader("timestamptz", _ClampTimestamptz)
    adapters.register_loader("timestamp", _ClampTimestamp)
    adapters.register_loader("timestamptz", _ClampTimestamptzBinary)
    adapters.register_loader("timestamp", _ClampTimestampBinary)


register_clamping_loaders()
