"""Finished calls: `save_call` stores a call, its transcript turns and its searchable chunks.

Everything a call writes happens in one transaction; the embeddings are computed before it
opens, so the transaction is short. The same (platform, conversation id) twice stores it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from memory.chunks import ChunkTurn, insert_chunks, window_chunks
from memory.customers import Customer, upsert_customer
from memory.dates import check_moment
from memory.errors import InvalidCall, InvalidPhone
from memory.live_calls import complete_live_call
from memory.messages import MAX_MESSAGE_CHARS
from memory.phones import normalize_phone
from memory.store import Memory
from memory.text import jsonb

Role = Literal["customer", "agent"]


@dataclass
class CallTurn:
    """One transcript turn: who spoke, what, and when (seconds into the call)."""

    role: Role
    text: str
    time_in_call_secs: float = 0.0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CallRecord:
    """A finished call as Hilo stores it (built from an ElevenLabs webhook or API answer)."""

    conversation_id: str
    phone: str | None
    turns: list[CallTurn]
    started_at: datetime
    platform: str = "elevenlabs"
    customer_name: str | None = None
    language: str | None = None
    direction: Literal["inbound", "outbound"] | None = None
    duration_secs: int | None = None
    status: str = "done"
    summary: str | None = None
    analysis: dict[str, Any] = field(default_factory=dict)
    # References of the live call this is the record of (its `hilo_call` token's, Twilio's
    # call SID): its turns stored during the call are completed, not stored again.
    live_refs: tuple[str, ...] = ()


@dataclass
class SavedCall:
    customer: Customer
    interaction_id: int
    created: bool
    turns_stored: int
    chunks_stored: int


def _validate(call: CallRecord, default_region: str) -> list[tuple[int, CallTurn]]:
    if not call.conversation_id or not call.conversation_id.strip():
        raise InvalidCall("the call has no conversation id")
    if not call.phone:
        raise InvalidCall(f"call {call.conversation_id}: no customer phone number")
    try:  # before the embeddings are computed: a bad number should cost nothing
        normalize_phone(call.phone, default_region)
    except InvalidPhone as exc:
        raise InvalidCall(f"call {call.conversation_id}: {exc}") from exc
    # PostgreSQL text cannot hold NUL characters; a transcript is stored without them, and a
    # turn longer than a message may be (a runaway transcription) is stored cut to that length.
    turns = [
        replace(t, text=(t.text or "").replace("\x00", "")[:MAX_MESSAGE_CHARS]) for t in call.turns
    ]
    spoken = [(i, t) for i, t in enumerate(turns) if t.text.strip()]
    if not spoken:
        raise InvalidCall(f"call {call.conversation_id}: the transcript is empty")
    for _, turn in spoken:
        if turn.role not in ("customer", "agent"):
            raise InvalidCall(f"call {call.conversation_id}: unknown speaker role {turn.role!r}")
    return spoken


async def save_call(memory: Memory, call: CallRecord) -> SavedCall:
    """Store a finished call once: customer, interaction, turns and embedded chunks.

    Raises `InvalidCall` (empty transcript, no or invalid phone; an invalid phone's
    `InvalidPhone` is its `__cause__`) or `InvalidDate` (a start outside the stored range)
    before writing anything.
    """
    spoken = _validate(call, memory.default_region)
    language = call.language or memory.default_language
    started = call.started_at if call.started_at.tzinfo else call.started_at.replace(tzinfo=UTC)
    check_moment(started, "started_at")
    chunk_turns = [ChunkTurn(seq=i, role=t.role, text=t.text) for i, t in spoken]
    chunks = window_chunks(chunk_turns, language)
    # Embed before the transaction: CPU work should not hold locks or a connection.
    vectors = await memory.embeddings.aembed_documents([c.text for c in chunks])

    async with memory.pool.connection() as conn, conn.transaction():
        try:
            customer = await upsert_customer(
                conn,
                call.phone or "",
                default_region=memory.default_region,
                name=call.customer_name,
                language=language,
            )
        except InvalidPhone as exc:
            raise InvalidCall(f"call {call.conversation_id}: {exc}") from exc
        ended = started + timedelta(seconds=call.duration_secs) if call.duration_secs else None
        if call.live_refs:
            completed = await complete_live_call(
                conn,
                memory,
                customer_id=customer.id,
                call_refs=call.live_refs,
                conversation_id=call.conversation_id,
                platform=call.platform,
                spoken=spoken,
                started=started,
                chunks=chunks,
                vectors=vectors,
                fields={
                    "direction": call.direction,
                    "ended_at": ended,
                    "duration_secs": call.duration_secs,
                    "summary": call.summary,
                    "status": call.status,
                    "analysis": jsonb(call.analysis),
                },
            )
            if completed is not None:
                interaction_id, created, added = completed
                return SavedCall(
                    customer, interaction_id, created, added, len(chunks) if created else 0
                )
        row = await (
            await conn.execute(
                """INSERT INTO interactions
                     (customer_id, channel, platform, external_id, direction, started_at,
                      ended_at, duration_secs, summary, status, analysis)
                   VALUES (%s, 'call', %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (platform, external_id) DO NOTHING
                   RETURNING id""",
                (
                    customer.id,
                    call.platform,
                    call.conversation_id,
                    call.direction,
                    started,
                    ended,
                    call.duration_secs,
                    call.summary,
                    call.status,
                    jsonb(call.analysis),
                ),
            )
        ).fetchone()
        if row is None:
            existing = await (
                await conn.execute(
                    "SELECT id FROM interactions WHERE platform = %s AND external_id = %s",
                    (call.platform, call.conversation_id),
                )
            ).fetchone()
            assert existing is not None
            return SavedCall(customer, existing["id"], False, 0, 0)
        interaction_id = row["id"]

        message_ids: dict[int, int] = {}
        async with conn.cursor() as cur:
            for seq, turn in spoken:
                await cur.execute(
                    """INSERT INTO messages
                         (customer_id, interaction_id, channel, seq, direction, role, text,
                          external_id, meta, created_at)
                       VALUES (%s, %s, 'call', %s, %s, %s, %s, %s, %s, %s)
                       RETURNING id""",
                    (
                        customer.id,
                        interaction_id,
                        seq,
                        "inbound" if turn.role == "customer" else "outbound",
                        turn.role,
                        turn.text.strip(),
                        f"{call.platform}:{call.conversation_id}:{seq}",
                        jsonb({"tool_calls": turn.tool_calls} if turn.tool_calls else {}),
                        started + timedelta(seconds=float(turn.time_in_call_secs or 0)),
                    ),
                )
                inserted = await cur.fetchone()
                assert inserted is not None
                message_ids[seq] = inserted["id"]
        chunks = [
            replace(
                c,
                first_message_id=message_ids[c.first_seq],
                last_message_id=message_ids[c.last_seq],
            )
            for c in chunks
        ]
        await insert_chunks(
            conn,
            memory,
            customer_id=customer.id,
            interaction_id=interaction_id,
            channel="call",
            occurred_at=started,
            chunks=chunks,
            vectors=vectors,
        )
    return SavedCall(customer, interaction_id, True, len(spoken), len(chunks))


async def record_call_analysis(
    memory: Memory,
    interaction_id: int,
    *,
    summary: str | None,
    intent: str | None,
    sentiment: str | None,
    analysis: dict[str, Any] | None = None,
) -> None:
    """Store the analysis of a call on its interaction (summary, intent, sentiment, details)."""
    async with memory.pool.connection() as conn:
        await conn.execute(
            """UPDATE interactions SET summary = coalesce(%s, summary), intent = %s,
                      sentiment = %s, analysis = analysis || %s::jsonb
               WHERE id = %s""",
            (summary, intent, sentiment, jsonb(analysis or {}), interaction_id),
        )


async def record_failed_call(
    memory: Memory,
    phone: str,
    conversation_id: str,
    summary: str,
    *,
    retry_action: str | None = None,
    platform: str = "elevenlabs",
) -> tuple[int, bool]:
    """Store a call attempt that never connected (status `failed`), once per conversation id,
    and with it (same transaction) a high-priority `call` next action to retry it.

    Returns (customer id, created).
    """
    from memory.actions import insert_action

    async with memory.pool.connection() as conn, conn.transaction():
        customer = await upsert_customer(conn, phone, default_region=memory.default_region)
        row = await (
            await conn.execute(
                """INSERT INTO interactions (customer_id, channel, platform, external_id,
                                             direction, status, summary)
                   VALUES (%s, 'call', %s, %s, 'outbound', 'failed', %s)
                   ON CONFLICT (platform, external_id) DO NOTHING RETURNING id""",
                (customer.id, platform, conversation_id, summary[:300]),
            )
        ).fetchone()
        if row is not None and retry_action:
            await insert_action(
                conn, customer.id, retry_action, type="call", priority="normal", created_by=platform
            )
    return customer.id, row is not None


async def followup_exists(memory: Memory, customer_id: int, conversation_id: str) -> bool:
    """Whether the post-call WhatsApp of this call was already written (it is written once)."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT 1 FROM messages WHERE customer_id = %s AND meta->>'followup_for' = %s",
                (customer_id, conversation_id),
            )
        ).fetchone()
    return row is not None
