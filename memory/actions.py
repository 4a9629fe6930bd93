"""Insights (topics, pending questions, agreed next steps, objections) and next actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from psycopg import AsyncConnection

from memory.dates import check_moment
from memory.errors import InvalidInput
from memory.store import Memory
from memory.text import jsonb

InsightKind = Literal["topic", "pending_question", "next_step", "objection"]
Priority = Literal["low", "normal", "high", "urgent"]
ActionStatus = Literal["open", "in_progress", "done", "cancelled", "failed"]
# A rescheduled action's description: (its description, the old due time, the new) → the new.
Reword = Callable[[str, datetime | None, datetime], str]
PRIORITIES = ("low", "normal", "high", "urgent")
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled", "failed")


@dataclass
class Insight:
    id: int
    customer_id: int
    interaction_id: int | None
    kind: str
    text: str
    resolved: bool
    created_at: datetime


@dataclass
class NextAction:
    id: int
    customer_id: int
    type: str
    description: str
    priority: str
    due_at: datetime | None
    status: str
    created_by: str
    source_interaction_id: int | None
    created_at: datetime
    updated_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


_INSIGHT_COLS = "id, customer_id, interaction_id, kind, text, resolved, created_at"
_ACTION_COLS = (
    "id, customer_id, type, description, priority, due_at, status, created_by, "
    "source_interaction_id, created_at, updated_at, meta"
)
# (customer id, kind, kind, include resolved)
INSIGHTS_SQL = f"""SELECT {_INSIGHT_COLS} FROM insights
    WHERE customer_id = %s AND (%s::text IS NULL OR kind = %s) AND (%s OR NOT resolved)
    ORDER BY created_at, id"""
# (customer id, open only)
NEXT_ACTIONS_SQL = f"""SELECT {_ACTION_COLS} FROM next_actions
    WHERE customer_id = %s AND (NOT %s OR status IN ('open', 'in_progress'))
    ORDER BY due_at NULLS LAST, created_at, id"""


async def add_insights(
    memory: Memory,
    customer_id: int,
    interaction_id: int | None,
    items: list[tuple[InsightKind, str]],
) -> list[Insight]:
    """Store insights from an interaction (skipping exact repeats of unresolved ones)."""
    stored: list[Insight] = []
    async with memory.pool.connection() as conn, conn.transaction():
        for kind, text in items:
            text = " ".join(text.split())
            if not text:
                continue
            row = await (
                await conn.execute(
                    f"""INSERT INTO insights (customer_id, interaction_id, kind, text)
                        SELECT %s, %s, %s, %s
                        WHERE NOT EXISTS (SELECT 1 FROM insights WHERE customer_id = %s
                              AND kind = %s AND lower(text) = lower(%s) AND NOT resolved)
                        RETURNING {_INSIGHT_COLS}""",
                    (customer_id, interaction_id, kind, text, customer_id, kind, text),
                )
            ).fetchone()
            if row is not None:
                stored.append(Insight(**row))
    return stored


async def list_insights(
    memory: Memory,
    customer_id: int,
    *,
    kind: InsightKind | None = None,
    include_resolved: bool = False,
) -> list[Insight]:
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(INSIGHTS_SQL, (customer_id, kind, kind, include_resolved))
        ).fetchall()
    return [Insight(**r) for r in rows]


async def resolve_insight(memory: Memory, customer_id: int, insight_id: int) -> bool:
    async with memory.pool.connection() as conn:
        cur = await conn.execute(
            """UPDATE insights SET resolved = true, resolved_at = now()
               WHERE id = %s AND customer_id = %s AND NOT resolved""",
            (insight_id, customer_id),
        )
        return cur.rowcount == 1


async def create_next_action(
    memory: Memory,
    customer_id: int,
    description: str,
    *,
    type: str = "follow_up",
    priority: Priority = "normal",
    due_at: datetime | None = None,
    created_by: str = "agent",
    source_interaction_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> NextAction:
    description = " ".join((description or "").split())
    if not description:
        raise InvalidInput("a next action needs a description")
    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {PRIORITIES}")
    if due_at is not None:
        check_moment(due_at, "due_at")
    async with memory.pool.connection() as conn:
        return await insert_action(
            conn,
            customer_id,
            description,
            type=type,
            priority=priority,
            due_at=due_at,
            created_by=created_by,
            source_interaction_id=source_interaction_id,
            meta=meta,
        )


async def schedule_call(
    memory: Memory,
    customer_id: int,
    description: str,
    *,
    due_at: datetime,
    priority: Priority = "high",
    created_by: str = "agent",
    meta: dict[str, Any] | None = None,
) -> NextAction:
    """A `call` next action, and the customer's consent to calls (profile `calls=allowed`):
    asking for a call back overrides an earlier "no me llamen". One transaction, after the date
    is checked: a refused date writes neither.

    One pending call back per customer: when one asked for earlier exists (open, not yet
    due, asked on WhatsApp or agreed on the call; an operator's own call task is left alone),
    the new request moves it (its text, due time and detail replaced) instead of adding a
    second call for the operator to place: "llámenme el miércoles", then "mejor el jueves".
    The latest request wins, as it does over "no me llamen"."""
    description = " ".join((description or "").split())
    if not description:
        raise InvalidInput("a call back needs a reason")
    check_moment(due_at, "when")
    async with memory.pool.connection() as conn, conn.transaction():
        await conn.execute(
            """UPDATE customers SET profile = profile || '{"calls": "allowed"}'::jsonb,
                      updated_at = now()
               WHERE id = %s""",
            (customer_id,),
        )
        moved = await (
            await conn.execute(
                f"""UPDATE next_actions SET description = %s, due_at = %s, priority = %s,
                           meta = %s, updated_at = now()
                    WHERE id = (SELECT id FROM next_actions
                                WHERE customer_id = %s AND type = 'call' AND status = 'open'
                                  AND created_by IN ('agent', 'call_analysis')
                                  AND due_at > now()
                                ORDER BY created_at DESC, id DESC LIMIT 1
                                FOR UPDATE)
                    RETURNING {_ACTION_COLS}""",
                (description[:500], due_at, priority, jsonb(meta or {}), customer_id),
            )
        ).fetchone()
        if moved is not None:
            return NextAction(**moved)
        return await insert_action(
            conn,
            customer_id,
            description,
            type="call",
            priority=priority,
            due_at=due_at,
            created_by=created_by,
            meta=meta,
        )


async def insert_action(
    conn: AsyncConnection[Any],
    customer_id: int,
    description: str,
    *,
    type: str,
    created_by: str,
    priority: str = "normal",
    due_at: datetime | None = None,
    source_interaction_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> NextAction:
    """A next action inside the caller's transaction (the callers check its values)."""
    row = await (
        await conn.execute(
            f"""INSERT INTO next_actions (customer_id, type, description, priority, due_at,
                                          created_by, source_interaction_id, meta)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_ACTION_COLS}""",
            (
                customer_id,
                type,
                description[:500],
                priority,
                due_at,
                created_by,
                source_interaction_id,
                jsonb(meta or {}),
            ),
        )
    ).fetchone()
    assert row is not None
    return NextAction(**row)


async def update_next_action(
    memory: Memory,
    customer_id: int,
    action_id: int,
    *,
    status: ActionStatus | None = None,
    due_at: datetime | None = None,
    priority: Priority | None = None,
    description: str | None = None,
    reword: Reword | None = None,
) -> NextAction | None:
    """Change one of the customer's next actions; None if it is not theirs (or does not exist).

    A new `due_at` (one unlike the stored one) is a clock time: a "morning" window no longer
    holds and is dropped, and `reword` (the description, the old due time and the new → the
    description) re-words the day the text names, read and written in one transaction."""
    if status is not None and status not in ACTION_STATUSES:
        raise InvalidInput(f"status must be one of {ACTION_STATUSES}")
    if priority is not None and priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {PRIORITIES}")
    if due_at is not None:
        check_moment(due_at, "due_at")
    if description is not None:
        description = " ".join(description.split())[:500] or None
    async with memory.pool.connection() as conn, conn.transaction():
        current = await (
            await conn.execute(
                "SELECT description, due_at FROM next_actions"
                " WHERE id = %s AND customer_id = %s FOR UPDATE",
                (action_id, customer_id),
            )
        ).fetchone()
        if current is None:
            return None
        moved = due_at is not None and due_at != current["due_at"]
        if moved and reword is not None:
            assert due_at is not None
            text = description or current["description"]
            reworded = reword(text, current["due_at"], due_at)
            description = " ".join(reworded.split())[:500] or description
        row = await (
            await conn.execute(
                f"""UPDATE next_actions SET
                        status = coalesce(%s, status),
                        due_at = coalesce(%s, due_at),
                        priority = coalesce(%s, priority),
                        description = coalesce(%s, description),
                        meta = CASE WHEN %s THEN meta - 'window' ELSE meta END,
                        completed_at = CASE WHEN %s IN ('done', 'cancelled') THEN now()
                                            ELSE completed_at END,
                        updated_at = now()
                    WHERE id = %s AND customer_id = %s RETURNING {_ACTION_COLS}""",
                (status, due_at, priority, description, moved, status, action_id, customer_id),
            )
        ).fetchone()
    return NextAction(**row) if row else None


async def list_next_actions(
    memory: Memory, customer_id: int, *, open_only: bool = True
) -> list[NextAction]:
    async with memory.pool.connection() as conn:
        rows = await (await conn.execute(NEXT_ACTIONS_SQL, (customer_id, open_only))).fetchall()
    return [NextAction(**r) for r in rows]


async def claim_due_next_actions(
    memory: Memory, *, type: str | None = None, limit: int = 50
) -> list[NextAction]:
    """Atomically move due open actions to `in_progress` and return them (for periodic jobs).

    `SKIP LOCKED` lets many workers claim side by side without taking the same action twice.
    """
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""UPDATE next_actions SET status = 'in_progress', updated_at = now()
                    WHERE id IN (
                        SELECT id FROM next_actions
                        WHERE status = 'open' AND due_at <= now()
                          AND (%s::text IS NULL OR type = %s)
                        ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED)
                    RETURNING {_ACTION_COLS}""",
                (type, type, limit),
            )
        ).fetchall()
    return [NextAction(**r) for r in rows]
