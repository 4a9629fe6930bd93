"""Live notifications: what the triggers of migration 0005 announce on `hilo_events` (every
new message, every escalation change), read on a dedicated listening connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

CHANNEL = "hilo_events"


@asynccontextmanager
async def listening(url: str) -> AsyncIterator[AsyncIterator[str]]:
    """Listen on the channel; yields the stream of notification payloads (JSON text). Raises
    `psycopg.Error` when the database cannot be reached or goes away."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        yield (note.payload async for note in conn.notifies())
