"""Webhook events: every accepted inbound event stored raw, once, for idempotency and replay."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from memory.store import Memory


@dataclass
class WebhookEvent:
    id: int
    source: str
    event_type: str
    event_key: str
    payload: dict[str, Any]
    received_at: datetime
    status: str
    attempts: int
    error: str | None


_COLS = "id, source, event_type, event_key, payload, received_at, status, attempts, error"


async def record_event(
    conn: AsyncConnection[Any],
    source: str,
    event_type: str,
    event_key: str,
    payload: dict[str, Any],
) -> int | None:
    """Store an event on an open connection (inside the caller's transaction).

    Returns its id, or None when the same (source, key) was already stored: a duplicate
    delivery, to be acknowledged and otherwise ignored.
    """
    row = await (
        await conn.execute(
            """INSERT INTO webhook_events (source, event_type, event_key, payload)
               VALUES (%s, %s, %s, %s) ON CONFLICT (source, event_key) DO NOTHING
               RETURNING id""",
            (source, event_type, event_key, json.dumps(payload)),
        )
    ).fetchone()
    return int(row["id"]) if row else None


async def get_event(memory: Memory, event_id: int) -> WebhookEvent | None:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(f"SELECT {_COLS} FROM webhook_events WHERE id = %s", (event_id,))
        ).fetchone()
    return WebhookEvent(**row) if row else None


async def mark_event(
    memory: Memory, event_id: int, status: str, *, error: str | None = None
) -> None:
    async with memory.pool.connection() as conn:
        await conn.execute(
            """UPDATE webhook_events SET status = %s, error = %s,
                      attempts = attempts + CASE WHEN %s = 'processing' THEN 1 ELSE 0 END,
                      processed_at = CASE WHEN %s IN ('done', 'failed', 'ignored') THEN now()
                                          ELSE processed_at END
               WHERE id = %s""",
            (status, error, status, status, event_id),
        )


async def get_events_by_keys(memory: Memory, source: str, keys: list[str]) -> list[WebhookEvent]:
    """The stored events of `source` with these exact keys (oldest first)."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""SELECT {_COLS} FROM webhook_events
                    WHERE source = %s AND event_key = ANY(%s) ORDER BY id""",
                (source, keys),
            )
        ).fetchall()
    return [WebhookEvent(**row) for row in rows]


async def unfinished_events(
    memory: Memory, source: str, event_type: str, matching: dict[str, Any]
) -> list[WebhookEvent]:
    """Events of one kind not yet processed (received, or processing by an attempt that did not
    finish) whose payload holds `matching` (e.g. the sender), oldest first: a customer's burst
    of messages waiting for its one answer."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""SELECT {_COLS} FROM webhook_events
                    WHERE status IN ('received', 'processing')
                      AND source = %s AND event_type = %s AND payload @> %s::jsonb
                    ORDER BY id""",
                (source, event_type, json.dumps(matching)),
            )
        ).fetchall()
    return [WebhookEvent(**row) for row in rows]


async def list_events(
    memory: Memory, *, status: str = "failed", limit: int = 50, before_id: int | None = None
) -> list[WebhookEvent]:
    """Stored events in `status`, newest first (operators read the failed ones and why)."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""SELECT {_COLS} FROM webhook_events
                    WHERE status = %s AND (%s::bigint IS NULL OR id < %s)
                    ORDER BY id DESC LIMIT %s""",
                (status, before_id, before_id, limit),
            )
        ).fetchall()
    return [WebhookEvent(**row) for row in rows]


class EventNotRetryable(LookupError):
    """No failed event with that id (unknown, or not failed: nothing to retry)."""


async def reopen_failed_event(conn: AsyncConnection[Any], event_id: int) -> WebhookEvent:
    """Put a failed event back to `received` (inside the caller's transaction, which queues
    its job). The error stays readable until the event is processed again."""
    row = await (
        await conn.execute(
            f"""UPDATE webhook_events SET status = 'received', processed_at = NULL
                 WHERE id = %s AND status = 'failed' RETURNING {_COLS}""",
            (event_id,),
        )
    ).fetchone()
    if row is None:
        raise EventNotRetryable(f"no failed event {event_id}")
    return WebhookEvent(**row)
