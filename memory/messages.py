"""Messages outside calls (WhatsApp, operators, console) and the one timeline of every channel.

A WhatsApp conversation is an interaction that stays open while messages keep coming; after a
day of silence the next message opens a new one. Each stored message is also indexed for recall
together with the message before it, so "what did I tell you on WhatsApp" works like call recall.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg import AsyncConnection

from memory.chunks import ChunkTurn, insert_chunks, window_chunks
from memory.errors import InvalidInput
from memory.store import Memory
from memory.text import jsonb

Channel = Literal["whatsapp", "human", "console", "call"]
Direction = Literal["inbound", "outbound"]
MessageRole = Literal["customer", "agent", "human", "system"]

CONVERSATION_GAP = timedelta(hours=24)
# The longest message text stored: 64 K characters, WhatsApp's own bound for a message. The
# webhook refuses longer bodies (413); a longer call turn is stored cut (memory.calls).
MAX_MESSAGE_CHARS = 65_536

# Delivery states in the order they happen; a later callback never moves a message backwards.
DELIVERY_ORDER = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "receiving": 3,
    "received": 4,
    "delivered": 4,
    "read": 5,
    "failed": 6,
    "undelivered": 6,
    "canceled": 6,
}


@dataclass
class Message:
    id: int
    customer_id: int
    interaction_id: int
    channel: str
    direction: str
    role: str
    text: str
    created_at: datetime
    external_id: str | None = None
    delivery_status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        return cls(**{k: row[k] for k in _FIELDS})


_FIELDS = (
    "id",
    "customer_id",
    "interaction_id",
    "channel",
    "direction",
    "role",
    "text",
    "created_at",
    "external_id",
    "delivery_status",
    "error_code",
    "error_message",
    "media",
    "meta",
    "seq",
)
_COLUMNS = ", ".join(_FIELDS)
# (customer id, before id, before id, limit) → the latest messages, oldest first
TIMELINE_SQL = f"""SELECT * FROM (
        SELECT {_COLUMNS} FROM messages
        WHERE customer_id = %s AND (%s::bigint IS NULL OR id < %s)
        ORDER BY created_at DESC, id DESC
        LIMIT %s) recent
    ORDER BY created_at, id"""


async def _open_interaction(
    conn: AsyncConnection[Any], customer_id: int, channel: str, platform: str
) -> int:
    """The customer's current conversation on `channel`, or a new one after a day of silence."""
    row = await (
        await conn.execute(
            """SELECT i.id FROM interactions i
               WHERE i.customer_id = %s AND i.channel = %s AND i.status = 'open'
                 AND coalesce((SELECT max(m.created_at) FROM messages m
                               WHERE m.interaction_id = i.id), i.started_at) > now() - %s
               ORDER BY i.started_at DESC LIMIT 1""",
            (customer_id, channel, CONVERSATION_GAP),
        )
    ).fetchone()
    if row is not None:
        return int(row["id"])
    row = await (
        await conn.execute(
            """INSERT INTO interactions (customer_id, channel, platform, status)
               VALUES (%s, %s, %s, 'open') RETURNING id""",
            (customer_id, channel, platform),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


def restates_call(meta: dict[str, Any] | None) -> bool:
    """Whether a message is the automated post-call follow-up (it restates a stored call)."""
    return bool((meta or {}).get("followup_for"))


async def save_message(
    memory: Memory,
    customer_id: int,
    *,
    channel: Channel,
    direction: Direction,
    role: MessageRole,
    text: str,
    external_id: str | None = None,
    media: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
    delivery_status: str | None = None,
    platform: str | None = None,
    language: str | None = None,
    on_created: Callable[[AsyncConnection[Any], Message], Awaitable[Any]] | None = None,
) -> tuple[Message, bool]:
    """Store one message and index it for recall. Returns (message, created).

    A message whose `external_id` is already stored (a webhook delivered twice) is returned as
    it is, with `created=False`, and nothing is written. `on_created` runs inside the storing
    transaction on a new message (the outbox queues its send there: both or neither).
    """
    platform = platform or {"whatsapp": "twilio", "human": "dashboard"}.get(channel, channel)
    async with memory.pool.connection() as conn:
        if external_id is not None:
            existing = await (
                await conn.execute(
                    f"SELECT {_COLUMNS} FROM messages WHERE external_id = %s", (external_id,)
                )
            ).fetchone()
            if existing is not None:
                return Message.from_row(existing), False
        previous = await (
            await conn.execute(
                """SELECT id, role, text, meta ? 'followup_for' AS restates_call FROM messages
                   WHERE customer_id = %s AND channel = %s AND text <> ''
                   ORDER BY created_at DESC, id DESC LIMIT 1""",
                (customer_id, channel),
            )
        ).fetchone()

    clean_text = (text or "").replace("\x00", "").strip()  # PostgreSQL text has no NUL
    if len(clean_text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"a message holds at most {MAX_MESSAGE_CHARS} characters")
    # The post-call follow-up only restates its call (summary, pending questions, agreed
    # steps), and the call is indexed from its own transcript: indexing the restatement too
    # made it the top hit for most questions about the call, pushing out the transcript turns
    # that hold the answer (and it is a model's summary, not what was said). So it is not
    # indexed, nor joined to the reply after it; the context tool still lists what it states.
    window: list[ChunkTurn] = []
    if previous is not None and not previous["restates_call"]:
        window.append(ChunkTurn(0, previous["role"], previous["text"], previous["id"]))
    if clean_text:
        window.append(ChunkTurn(1, role, clean_text))
    indexed = bool(clean_text) and not restates_call(meta)
    chunk = window_chunks(window, language or memory.default_language)[0] if indexed else None
    vectors = await memory.embeddings.aembed_documents([chunk.text]) if chunk else []

    async with memory.pool.connection() as conn, conn.transaction():
        interaction_id = await _open_interaction(conn, customer_id, channel, platform)
        row = await (
            await conn.execute(
                f"""INSERT INTO messages
                      (customer_id, interaction_id, channel, direction, role, text, media,
                       external_id, meta, delivery_status)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                    ON CONFLICT (external_id) DO NOTHING
                    RETURNING {_COLUMNS}""",
                (
                    customer_id,
                    interaction_id,
                    channel,
                    direction,
                    role,
                    clean_text,
                    jsonb(media or []),
                    external_id,
                    jsonb(meta or {}),
                    delivery_status,
                ),
            )
        ).fetchone()
        if row is None:  # lost a race with the same external id
            existing = await (
                await conn.execute(
                    f"SELECT {_COLUMNS} FROM messages WHERE external_id = %s", (external_id,)
                )
            ).fetchone()
            assert existing is not None
            return Message.from_row(existing), False
        message = Message.from_row(row)
        if direction == "inbound" and role == "customer":
            await conn.execute(
                "UPDATE customers SET last_inbound_at = %s WHERE id = %s",
                (message.created_at, customer_id),
            )
        if chunk is not None:
            chunk = replace(
                chunk,
                last_message_id=message.id,
                first_message_id=chunk.first_message_id or message.id,
            )
            await insert_chunks(
                conn,
                memory,
                customer_id=customer_id,
                interaction_id=interaction_id,
                channel=channel,
                occurred_at=message.created_at,
                chunks=[chunk],
                vectors=vectors,
            )
        if on_created is not None:
            await on_created(conn, message)
    return message, True


async def update_delivery(
    memory: Memory,
    external_id: str,
    status: str,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> bool:
    """Apply a delivery status callback; never moves a message back to an earlier state.

    Returns True when the stored status changed.
    """
    rank = DELIVERY_ORDER.get(status)
    if rank is None:
        raise ValueError(f"unknown delivery status {status!r}")
    async with memory.pool.connection() as conn:
        cur = await conn.execute(
            """UPDATE messages SET delivery_status = %s,
                      error_code = coalesce(%s, error_code),
                      error_message = coalesce(%s, error_message),
                      updated_at = now()
               WHERE external_id = %s
                 AND (delivery_status IS NULL
                      OR coalesce((%s::jsonb ->> delivery_status)::int, -1) < %s)""",
            (status, error_code, error_message, external_id, json.dumps(DELIVERY_ORDER), rank),
        )
        return cur.rowcount == 1


async def set_message_external_id(
    memory: Memory, message_id: int, external_id: str, status: str | None = None
) -> None:
    """Record the provider's id (e.g. Twilio's SM… sid) once an outbound message is sent."""
    async with memory.pool.connection() as conn:
        await conn.execute(
            """UPDATE messages SET external_id = %s,
                      delivery_status = coalesce(%s, delivery_status), updated_at = now()
               WHERE id = %s""",
            (external_id, status, message_id),
        )


async def timeline(
    memory: Memory, customer_id: int, *, limit: int | None = None, before_id: int | None = None
) -> list[Message]:
    """Every message on every channel for the customer, oldest first.

    With `limit`, the most recent `limit` messages (still oldest first).
    """
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(TIMELINE_SQL, (customer_id, before_id, before_id, limit))
        ).fetchall()
    return [Message.from_row(r) for r in rows]


async def get_message(memory: Memory, message_id: int) -> Message | None:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(f"SELECT {_COLUMNS} FROM messages WHERE id = %s", (message_id,))
        ).fetchone()
    return Message.from_row(row) if row else None


async def record_send_failure(
    memory: Memory, message_id: int, *, code: str | None, error: str
) -> None:
    """Mark an outbound message as failed, with the provider's error code."""
    async with memory.pool.connection() as conn:
        await conn.execute(
            """UPDATE messages SET delivery_status = 'failed', error_code = %s,
                      error_message = %s, updated_at = now() WHERE id = %s""",
            (code, error[:500], message_id),
        )


async def mark_send_attempt(memory: Memory, message_id: int) -> datetime | None:
    """Note that a send of outbound message `message_id` starts now (`meta.send_attempted_at`).

    Returns when the previous attempt started, or None for the first one: an attempt that never
    recorded its outcome (a killed worker, a timeout) may have reached the provider.
    """
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """WITH old AS (SELECT meta ->> 'send_attempted_at' AS previous
                                  FROM messages WHERE id = %s FOR UPDATE)
                   UPDATE messages
                      SET meta = meta || jsonb_build_object('send_attempted_at', now()),
                          updated_at = now()
                     FROM old WHERE id = %s
                   RETURNING old.previous""",
                (message_id, message_id),
            )
        ).fetchone()
    previous = row["previous"] if row else None
    return datetime.fromisoformat(previous) if previous else None


async def clear_send_attempt(memory: Memory, message_id: int) -> None:
    """Forget the started send of `message_id`: the provider answered that it created nothing."""
    async with memory.pool.connection() as conn:
        await conn.execute(
            "UPDATE messages SET meta = meta - 'send_attempted_at', updated_at = now() "
            "WHERE id = %s",
            (message_id,),
        )


async def unsent_outbound_whatsapp(
    memory: Memory, *, older_than: timedelta, within: timedelta, limit: int = 200
) -> list[int]:
    """Outbound WhatsApp messages still `pending` (stored, never sent nor failed) that were
    created between `within` and `older_than` ago: the outbox sweep queues their send again."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """SELECT id FROM messages
                    WHERE delivery_status = 'pending' AND direction = 'outbound'
                      AND channel = 'whatsapp' AND external_id IS NULL
                      AND created_at < now() - %s AND created_at > now() - %s
                    ORDER BY id LIMIT %s""",
                (older_than, within, limit),
            )
        ).fetchall()
    return [int(r["id"]) for r in rows]


async def find_reply(memory: Memory, customer_id: int, inbound_id: int) -> Message | None:
    """The outbound message stored as the answer to inbound message `inbound_id`, if any
    (its `meta.in_reply_to`): a retried turn must not answer the same message twice."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"""SELECT {_COLUMNS} FROM messages
                    WHERE customer_id = %s AND direction = 'outbound'
                      AND meta ->> 'in_reply_to' = %s
                    ORDER BY id LIMIT 1""",
                (customer_id, str(inbound_id)),
            )
        ).fetchone()
    return Message.from_row(row) if row else None


async def recent_external_ids(memory: Memory, customer_id: int, *, limit: int = 50) -> set[str]:
    """The provider ids (Twilio's SM… sids) recorded on the customer's latest outbound
    messages: a message found in the provider's log with one of them is already accounted for."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """SELECT external_id FROM messages
                    WHERE customer_id = %s AND direction = 'outbound' AND external_id IS NOT NULL
                    ORDER BY id DESC LIMIT %s""",
                (customer_id, limit),
            )
        ).fetchall()
    return {str(r["external_id"]) for r in rows}


async def message_before(memory: Memory, customer_id: int, message_id: int) -> Message | None:
    """The message just before `message_id` in the customer's written conversation (WhatsApp,
    operators, console; not call turns), within a day: what the customer may be answering."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"""SELECT {_COLUMNS} FROM messages
                    WHERE customer_id = %s AND id < %s AND channel <> 'call'
                      AND role <> 'system' AND created_at > now() - %s
                    ORDER BY id DESC LIMIT 1""",
                (customer_id, message_id, CONVERSATION_GAP),
            )
        ).fetchone()
    return Message.from_row(row) if row else None


async def find_message_by_external_id(memory: Memory, external_id: str) -> Message | None:
    """The message stored with this provider id (an inbound MessageSid), if any."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE external_id = %s", (external_id,)
            )
        ).fetchone()
    return Message.from_row(row) if row else None
