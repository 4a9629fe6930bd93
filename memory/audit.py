"""Reads across customers for audits (the offline evals): every outbound message with its
recipient, and who owns an interaction. Operators and tools never use these: they act for
one customer at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memory.store import Memory


@dataclass
class SentMessage:
    id: int
    customer_id: int
    phone: str
    role: str
    text: str
    delivery_status: str | None
    meta: dict[str, Any]


async def last_message_id(memory: Memory) -> int:
    async with memory.pool.connection() as conn:
        cur = await conn.execute("SELECT coalesce(max(id), 0) AS id FROM messages")
        row = await cur.fetchone()
    return int(row["id"]) if row else 0


async def outbound_messages(memory: Memory, *, after_id: int = 0) -> list[SentMessage]:
    """Every outbound WhatsApp message (to any customer) with id > `after_id`, oldest first."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """SELECT m.id, m.customer_id, c.phone, m.role, m.text, m.delivery_status, m.meta
                   FROM messages m JOIN customers c ON c.id = m.customer_id
                   WHERE m.direction = 'outbound' AND m.channel = 'whatsapp' AND m.id > %s
                   ORDER BY m.id""",
                (after_id,),
            )
        ).fetchall()
    return [SentMessage(**r) for r in rows]


async def interaction_owners(memory: Memory, interaction_ids: list[int]) -> dict[int, int]:
    """interaction id → customer id."""
    if not interaction_ids:
        return {}
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT id, customer_id FROM interactions WHERE id = ANY(%s)", (interaction_ids,)
            )
        ).fetchall()
    return {int(r["id"]): int(r["customer_id"]) for r in rows}
