"""Escalations: a thread handed to humans. At most one open per customer (enforced in SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection, errors

from memory.actions import PRIORITIES
from memory.store import Memory


@dataclass
class Escalation:
    id: int
    customer_id: int
    reason: str
    priority: str
    status: str
    assignee: str | None
    opened_by: str
    resolution: str | None
    alert_count: int
    last_alert_at: datetime | None
    created_at: datetime
    assigned_at: datetime | None
    resolved_at: datetime | None


_COLS = (
    "id, customer_id, reason, priority, status, assignee, opened_by, resolution, alert_count, "
    "last_alert_at, created_at, assigned_at, resolved_at"
)
# (customer id) → the open or assigned escalation
CURRENT_ESCALATION_SQL = (
    f"SELECT {_COLS} FROM escalations WHERE customer_id = %s AND status <> 'resolved'"
)


async def open_escalation(
    memory: Memory,
    customer_id: int,
    reason: str,
    *,
    priority: str = "normal",
    opened_by: str = "agent",
) -> tuple[Escalation, bool]:
    """Open an escalation, or return the one already open. Returns (escalation, created)."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {PRIORITIES}")
    reason = " ".join((reason or "").split())[:500] or "sin motivo indicado"
    async with memory.pool.connection() as conn:
        try:
            row = await (
                await conn.execute(
                    f"""INSERT INTO escalations (customer_id, reason, priority, opened_by)
                        VALUES (%s, %s, %s, %s) RETURNING {_COLS}""",
                    (customer_id, reason, priority, opened_by),
                )
            ).fetchone()
            assert row is not None
            return Escalation(**row), True
        except errors.UniqueViolation:
            current = await current_escalation(memory, customer_id)
            assert current is not None
            return current, False


async def current_escalation(memory: Memory, customer_id: int) -> Escalation | None:
    """The customer's open or assigned escalation, if any (the thread is then human-owned)."""
    async with memory.pool.connection() as conn:
        row = await (await conn.execute(CURRENT_ESCALATION_SQL, (customer_id,))).fetchone()
    return Escalation(**row) if row else None


async def assign_escalation(memory: Memory, escalation_id: int, assignee: str) -> Escalation | None:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"""UPDATE escalations SET status = 'assigned', assignee = %s,
                           assigned_at = coalesce(assigned_at, now())
                    WHERE id = %s AND status <> 'resolved' RETURNING {_COLS}""",
                (assignee, escalation_id),
            )
        ).fetchone()
    return Escalation(**row) if row else None


async def resolve_escalation(
    memory: Memory, escalation_id: int, *, resolution: str | None = None
) -> Escalation | None:
    """Close the escalation: the thread goes back to the AI."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"""UPDATE escalations SET status = 'resolved', resolved_at = now(),
                           resolution = %s
                    WHERE id = %s AND status <> 'resolved' RETURNING {_COLS}""",
                (resolution, escalation_id),
            )
        ).fetchone()
    return Escalation(**row) if row else None


async def list_escalations(memory: Memory, *, include_resolved: bool = False) -> list[Escalation]:
    """Open escalations, most urgent and oldest first."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""SELECT {_COLS} FROM escalations WHERE %s OR status <> 'resolved'
                    ORDER BY array_position(ARRAY['urgent','high','normal','low'], priority),
                             created_at""",
                (include_resolved,),
            )
        ).fetchall()
    return [Escalation(**r) for r in rows]


def as_dict(escalation: Escalation | None) -> dict[str, Any] | None:
    if escalation is None:
        return None
    return {
        "id": escalation.id,
        "status": escalation.status,
        "reason": escalation.reason,
        "priority": escalation.priority,
        "assignee": escalation.assignee,
        "since": escalation.created_at.isoformat(),
    }


async def mark_alerted(conn: AsyncConnection[Any], escalation_id: int) -> None:
    """Count an alert (in the caller's transaction, with the alert jobs it queues)."""
    await conn.execute(
        "UPDATE escalations SET alert_count = alert_count + 1, last_alert_at = now() WHERE id = %s",
        (escalation_id,),
    )


async def claim_overdue_escalations(conn: AsyncConnection[Any], sla: timedelta) -> list[int]:
    """Escalations nobody took within `sla` of opening or of their last alert, claimed for one
    reminder each (alert counted now, in the caller's transaction): with many workers sweeping
    at once, each overdue escalation is reminded once per period."""
    rows = await (
        await conn.execute(
            """UPDATE escalations SET alert_count = alert_count + 1, last_alert_at = now()
               WHERE id IN (
                   SELECT id FROM escalations
                   WHERE status = 'open'
                     AND coalesce(last_alert_at, created_at) <= now() - %s
                   ORDER BY created_at
                   FOR UPDATE SKIP LOCKED)
               RETURNING id""",
            (sla,),
        )
    ).fetchall()
    return [int(r["id"]) for r in rows]


async def latest_escalation(memory: Memory, customer_id: int) -> Escalation | None:
    """The customer's newest escalation, whatever its status."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"SELECT {_COLS} FROM escalations WHERE customer_id = %s ORDER BY id DESC LIMIT 1",
                (customer_id,),
            )
        ).fetchone()
    return Escalation(**row) if row else None


async def get_escalation(memory: Memory, escalation_id: int) -> Escalation | None:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(f"SELECT {_COLS} FROM escalations WHERE id = %s", (escalation_id,))
        ).fetchone()
    return Escalation(**row) if row else None
