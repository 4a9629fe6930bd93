"""What operators see across customers: the conversation list (search and state filter), the
escalation queue with waiting times, the next-actions board, and the lookup that makes a human
reply idempotent. Reads only; every change goes through the functions that own it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from memory.messages import _COLUMNS, Message
from memory.store import Memory

CustomerState = Literal["active", "escalated", "opted_out"]
_PRIORITY_ORDER = "array_position(ARRAY['urgent','high','normal','low'], e.priority)"


@dataclass
class CustomerRow:
    id: int
    phone: str
    name: str | None
    language: str
    state: str
    opted_out: bool
    last_message_at: datetime | None
    last_message: str | None
    last_role: str | None
    escalation_id: int | None
    escalation_status: str | None


@dataclass
class QueueItem:
    escalation_id: int
    customer_id: int
    customer_name: str | None
    phone: str
    reason: str
    priority: str
    status: str
    assignee: str | None
    opened_by: str
    created_at: datetime
    waiting_seconds: float
    alert_count: int
    last_customer_message: str | None
    last_customer_message_at: datetime | None


@dataclass
class BoardAction:
    id: int
    customer_id: int
    customer_name: str | None
    phone: str
    type: str
    description: str
    priority: str
    status: str
    due_at: datetime | None
    created_by: str
    created_at: datetime
    opted_out: bool  # the customer opted out of WhatsApp: a message cannot be sent
    calls_declined: bool  # the customer asked not to be called
    overdue: bool  # due before now
    detail: str | None = None  # what the action came from (the call's sentence, the reason)
    window: str | None = None  # only the day or a part of it was said: no clock time shown


def _customer_match(query: str | None) -> tuple[str | None, str | None]:
    """LIKE patterns for a search box: the name (case-insensitive) and the phone's digits (3+)."""
    query = (query or "").strip()
    digits = re.sub(r"\D", "", query)
    name_like = f"%{query.lower()}%" if query else None
    phone_like = f"%{digits}%" if len(digits) >= 3 else None
    return name_like, phone_like


async def list_customers(
    memory: Memory,
    *,
    query: str | None = None,
    state: CustomerState | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[CustomerRow]:
    """Customers, the most recently active first. `query` matches the phone (any digits of it)
    or the name (case-insensitive); `state` keeps one of active, escalated, opted_out."""
    name_like, phone_like = _customer_match(query)
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """
                SELECT * FROM (
                    SELECT c.id, c.phone, c.name, c.language, c.opted_out,
                           lm.created_at AS last_message_at, left(lm.text, 160) AS last_message,
                           lm.role AS last_role, e.id AS escalation_id,
                           e.status AS escalation_status,
                           CASE WHEN e.id IS NOT NULL THEN 'escalated'
                                WHEN c.opted_out THEN 'opted_out'
                                ELSE 'active' END AS state
                    FROM customers c
                    LEFT JOIN escalations e ON e.customer_id = c.id AND e.status <> 'resolved'
                    LEFT JOIN LATERAL (
                        SELECT created_at, text, role FROM messages m
                        WHERE m.customer_id = c.id AND m.channel <> 'call'
                        ORDER BY created_at DESC, id DESC LIMIT 1
                    ) lm ON true
                    WHERE (%(name)s::text IS NULL AND %(phone)s::text IS NULL)
                       OR lower(c.name) LIKE %(name)s
                       OR c.phone LIKE %(phone)s
                ) x
                WHERE %(state)s::text IS NULL OR x.state = %(state)s
                ORDER BY x.last_message_at DESC NULLS LAST, x.id DESC
                LIMIT %(limit)s OFFSET %(offset)s
                """,
                {
                    "name": name_like,
                    "phone": phone_like,
                    "state": state,
                    "limit": limit,
                    "offset": offset,
                },
            )
        ).fetchall()
    return [CustomerRow(**r) for r in rows]


async def escalation_queue(
    memory: Memory, *, include_assigned: bool = True, escalation_id: int | None = None
) -> list[QueueItem]:
    """Open (and taken) escalations, most urgent first, then the longest waiting."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""
                SELECT e.id AS escalation_id, e.customer_id, c.name AS customer_name, c.phone,
                       e.reason, e.priority, e.status, e.assignee, e.opened_by, e.created_at,
                       extract(epoch FROM now() - e.created_at)::float8 AS waiting_seconds,
                       e.alert_count, lm.text AS last_customer_message,
                       lm.created_at AS last_customer_message_at
                FROM escalations e JOIN customers c ON c.id = e.customer_id
                LEFT JOIN LATERAL (
                    SELECT text, created_at FROM messages m
                    WHERE m.customer_id = e.customer_id AND m.role = 'customer'
                    ORDER BY created_at DESC, id DESC LIMIT 1
                ) lm ON true
                WHERE e.status <> 'resolved' AND (%s OR e.status = 'open')
                  AND (%s::bigint IS NULL OR e.id = %s)
                ORDER BY {_PRIORITY_ORDER}, e.created_at
                """,
                (include_assigned, escalation_id, escalation_id),
            )
        ).fetchall()
    return [QueueItem(**r) for r in rows]


@dataclass
class EscalationCounts:
    waiting: int  # not taken yet
    taken: int
    past_sla: int  # not taken within the SLA


async def escalation_counts(memory: Memory, *, sla_seconds: float) -> EscalationCounts:
    """How many escalations are open: waiting for someone, taken, and waiting past the SLA."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """SELECT count(*) FILTER (WHERE status = 'open') AS waiting,
                          count(*) FILTER (WHERE status <> 'open') AS taken,
                          count(*) FILTER (WHERE status = 'open'
                                           AND created_at < now() - make_interval(secs => %s))
                              AS past_sla
                   FROM escalations WHERE status <> 'resolved'""",
                (sla_seconds,),
            )
        ).fetchone()
    assert row is not None  # an aggregate always answers one row
    return EscalationCounts(**row)


async def get_escalation_row(memory: Memory, escalation_id: int) -> dict[str, Any] | None:
    """Any escalation (resolved too), as a row."""
    async with memory.pool.connection() as conn:
        return await (
            await conn.execute("SELECT * FROM escalations WHERE id = %s", (escalation_id,))
        ).fetchone()


async def next_actions_board(
    memory: Memory,
    *,
    overdue: bool = False,
    type: str | None = None,
    customer: str | None = None,
    limit: int = 200,
) -> list[BoardAction]:
    """Open next actions of every customer: overdue and soonest first, undated last.

    Filters: `overdue` keeps those due before now, `type` one type (`follow_up`, `call`…),
    `customer` a name or phone search as in `list_customers`.
    """
    name_like, phone_like = _customer_match(customer)
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """SELECT a.id, a.customer_id, c.name AS customer_name, c.phone, a.type,
                          a.description, a.priority, a.status, a.due_at, a.created_by,
                          a.created_at, c.opted_out,
                          coalesce(c.profile->>'calls' = 'declined', false) AS calls_declined,
                          coalesce(a.due_at < now(), false) AS overdue,
                          a.meta->>'detail' AS detail, a.meta->>'window' AS window
                   FROM next_actions a JOIN customers c ON c.id = a.customer_id
                   WHERE a.status IN ('open', 'in_progress')
                     AND (NOT %(overdue)s OR a.due_at < now())
                     AND (%(type)s::text IS NULL OR a.type = %(type)s)
                     AND ((%(name)s::text IS NULL AND %(phone)s::text IS NULL)
                          OR lower(c.name) LIKE %(name)s OR c.phone LIKE %(phone)s)
                   ORDER BY a.due_at NULLS LAST,
                            array_position(ARRAY['urgent','high','normal','low'], a.priority),
                            a.created_at
                   LIMIT %(limit)s""",
                {
                    "overdue": overdue,
                    "type": type,
                    "name": name_like,
                    "phone": phone_like,
                    "limit": limit,
                },
            )
        ).fetchall()
    return [BoardAction(**r) for r in rows]


async def find_request_message(memory: Memory, customer_id: int, request_id: str) -> Message | None:
    """The message an operator request already stored (same `request_id`), if any."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"""SELECT {_COLUMNS} FROM messages
                    WHERE customer_id = %s AND meta ? 'request_id'
                      AND meta->>'request_id' = %s""",
                (customer_id, request_id),
            )
        ).fetchone()
    return Message.from_row(row) if row else None
