"""Domain errors raised by the memory store; the web edge translates them to HTTP answers."""

from __future__ import annotations


class MemoryError_(Exception):
    """Base class for errors the memory store raises on bad input or missing data."""


class InvalidPhone(MemoryError_, ValueError):
    """A phone number that cannot be read as a valid E.164 number."""

    def __init__(self, raw: object, reason: str = "not a valid phone number") -> None:
        self.raw = raw
        super().__init__(f"{raw!r}: {reason}")


class UnknownCustomer(MemoryError_, LookupError):
    """No customer with that id or phone."""


class InvalidCall(MemoryError_, ValueError):
    """A call that cannot be stored (no transcript, no customer phone, …)."""


class DatabaseUnavailable(MemoryError_, RuntimeError):
    """The database cannot be reached or lacks something Hilo needs (such as pgvector)."""


class InvalidInput(MemoryError_, ValueError):
    """A value the memory store refuses to write (the web edge answers 422 with the message)."""


class InvalidDate(InvalidInput):
    """A moment without a UTC offset or outside the range Hilo stores (`memory.dates`)."""
