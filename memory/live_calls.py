"""Live calls: a call's turns stored while it goes on (Hilo answering as the Custom LLM).

A live call is an interaction (`channel='call'`, status `live`) found by its call reference
(`interactions.call_ref`). Each turn is a message whose external id is `live:<ref>:<seq>`, seq
being the turn's place in the call's dialogue, so a request repeating turns already stored
(every Custom LLM request carries the whole call so far) stores nothing twice. Each answer is
indexed for recall together with the caller's words it answers, so a WhatsApp turn during or
right after the call recalls it. The post-call webhook completes the same interaction
(`memory.calls.save_call` → `complete_live_call`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg import AsyncConnection

from memory.chunks import (
    Chunk,
    ChunkTurn,
    count_words,
    insert_chunks,
    searchable_text,
    vector_literal,
    window_chunks,
)
from memory.errors import InvalidCall
from memory.messages import MAX_MESSAGE_CHARS
from memory.store import Memory
from memory.text import jsonb

Role = Literal["customer", "agent"]
LIVE_STATUS = "live"


@dataclass(frozen=True)
class LiveTurn:
    """One turn of a live call: its place in the call's dialogue, who spoke and what."""

    seq: int
    role: Role
    text: str


@dataclass(frozen=True)
class LiveCall:
    interaction_id: int
    new_seqs: frozenset[int]  # turns of the request stored now for the first time
    answered: str | None  # the answer already stored at the requested seq (a repeated request)


def live_external_id(call_ref: str, seq: int) -> str:
    return f"live:{call_ref}:{seq}"


def _clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()[:MAX_MESSAGE_CHARS]


async def record_live_turns(
    memory: Memory,
    customer_id: int,
    call_ref: str,
    turns: Sequence[LiveTurn],
    *,
    answer_seq: int,
    direction: str | None = None,
) -> LiveCall:
    """Store the turns of a live call not stored yet, and say whether the answer at
    `answer_seq` is stored already (the same request came again). One statement, one round
    trip: this runs before the model on every spoken turn.

    Its commit does not wait for the WAL flush (`synchronous_commit = off` for this statement
    only): under load that wait was most of its time. A database crash can lose the last
    fraction of a second of live turns and nothing else (no corruption); the platform sends the
    whole call on every request, which stores them again, and the post-call transcript
    completes the call in any case."""
    spoken = [t for t in turns if _clean(t.text)]
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """WITH i AS (
                     INSERT INTO interactions (customer_id, channel, platform, call_ref, status,
                                               direction)
                     VALUES (%(customer)s, 'call', 'elevenlabs', %(ref)s, %(status)s,
                             %(direction)s)
                     ON CONFLICT (call_ref) WHERE call_ref IS NOT NULL
                     DO UPDATE SET call_ref = EXCLUDED.call_ref
                     RETURNING id, customer_id
                   ), m AS (
                     INSERT INTO messages (customer_id, interaction_id, channel, seq, direction,
                                           role, text, external_id, meta)
                     SELECT i.customer_id, i.id, 'call', t.seq,
                            CASE WHEN t.role = 'customer' THEN 'inbound' ELSE 'outbound' END,
                            t.role, t.text, t.external_id, '{"live": true}'::jsonb
                     FROM i, unnest(%(seqs)s::int[], %(roles)s::text[], %(texts)s::text[],
                                    %(ids)s::text[]) AS t(seq, role, text, external_id)
                     WHERE i.customer_id = %(customer)s
                     ON CONFLICT (external_id) DO NOTHING
                     RETURNING seq
                   )
                   SELECT i.id, i.customer_id,
                          (SELECT coalesce(array_agg(seq), '{}') FROM m) AS new,
                          (SELECT text FROM messages
                           WHERE external_id = %(answer)s AND role = 'agent') AS answered,
                          set_config('synchronous_commit', 'off', true) AS lazy_commit
                   FROM i""",
                {
                    "customer": customer_id,
                    "ref": call_ref,
                    "status": LIVE_STATUS,
                    "direction": direction,
                    "seqs": [t.seq for t in spoken],
                    "roles": [t.role for t in spoken],
                    "texts": [_clean(t.text) for t in spoken],
                    "ids": [live_external_id(call_ref, t.seq) for t in spoken],
                    "answer": live_external_id(call_ref, answer_seq),
                },
            )
        ).fetchone()
    assert row is not None
    if row["customer_id"] != customer_id:
        raise InvalidCall(f"call {call_ref} belongs to another customer")
    return LiveCall(int(row["id"]), frozenset(int(s) for s in row["new"]), row["answered"])


@dataclass(frozen=True)
class LiveAnswer:
    """Hilo's spoken answer at `seq` of a live call, with the caller's words it answers."""

    customer_id: int
    call_ref: str
    seq: int
    text: str
    heard: Sequence[LiveTurn]
    language: str


# One statement per answer: the call's interaction (found, or created if the answer is the
# call's first turn), the message (unless the call's next request stored it first, as the
# platform relays it: its dialogue holds every turn) and its chunk, unless a chunk ends at that
# message already (stored before). The chunk starts at the first turn of its window, stored by
# an earlier request (or at the answer itself).
_ANSWER_SQL = """WITH i AS (
     INSERT INTO interactions (customer_id, channel, platform, call_ref, status)
     VALUES (%(customer)s, 'call', 'elevenlabs', %(ref)s, %(status)s)
     ON CONFLICT (call_ref) WHERE call_ref IS NOT NULL
     DO UPDATE SET call_ref = EXCLUDED.call_ref
     RETURNING id, customer_id
   ), new AS (
     INSERT INTO messages (customer_id, interaction_id, channel, seq, direction, role, text,
                           external_id, meta)
     SELECT i.customer_id, i.id, 'call', %(seq)s, 'outbound', 'agent', %(text)s, %(id)s,
            '{"live": true}'::jsonb
     FROM i WHERE i.customer_id = %(customer)s
     ON CONFLICT (external_id) DO NOTHING
     RETURNING id, created_at
   ), answer AS (
     SELECT id, created_at FROM new
     UNION ALL
     SELECT m.id, m.created_at FROM messages m, i
     WHERE m.external_id = %(id)s AND m.role = 'agent' AND m.customer_id = %(customer)s
       AND i.customer_id = %(customer)s AND NOT EXISTS (SELECT 1 FROM new)
       AND NOT EXISTS (SELECT 1 FROM memory_chunks c
                       WHERE c.customer_id = %(customer)s AND c.interaction_id = i.id
                         AND c.last_message_id = m.id)
   ), chunk AS (
     INSERT INTO memory_chunks (customer_id, interaction_id, channel, first_message_id,
                                last_message_id, first_seq, last_seq, text, embedding,
                                embedding_model, tsv, token_count, occurred_at)
     SELECT %(customer)s, i.id, 'call',
            coalesce((SELECT f.id FROM messages f WHERE f.external_id = %(first)s), a.id),
            a.id, %(first_seq)s, %(seq)s, %(chunk)s, %(vector)s::vector, %(model)s,
            to_tsvector('spanish', %(words)s) || to_tsvector('simple', %(words)s),
            %(token_count)s, a.created_at
     FROM answer a, i
     RETURNING last_message_id
   )
   SELECT i.customer_id, (SELECT last_message_id FROM chunk) AS message_id FROM i"""


async def record_live_answers(memory: Memory, answers: Sequence[LiveAnswer]) -> list[int | None]:
    """Store Hilo's spoken answers and index each with the caller's words it answers (its
    `heard` turns): their message ids, None for an answer stored before (or empty).

    The chunks are embedded together (one batch is cheaper per text than one text at a time),
    then each answer is one statement (`_ANSWER_SQL`) on one connection; an answer that fails
    raises after the others are stored."""
    chunks: dict[int, Chunk] = {}
    for n, a in enumerate(answers):
        text = _clean(a.text)
        if not text:
            continue
        turns = [ChunkTurn(t.seq, t.role, _clean(t.text)) for t in a.heard if _clean(t.text)]
        turns.append(ChunkTurn(a.seq, "agent", text))
        chunks[n] = window_chunks(turns[-3:], a.language)[0]
    ids: list[int | None] = [None] * len(answers)
    if not chunks:
        return ids
    vectors = await memory.embeddings.aembed_documents([c.text for c in chunks.values()])
    failed: Exception | None = None
    async with memory.pool.connection() as conn:
        for (n, chunk), vector in zip(chunks.items(), vectors, strict=True):
            a = answers[n]
            words = searchable_text(chunk.text)
            try:
                async with conn.transaction():
                    row = await (
                        await conn.execute(
                            _ANSWER_SQL,
                            {
                                "customer": a.customer_id,
                                "ref": a.call_ref,
                                "status": LIVE_STATUS,
                                "seq": a.seq,
                                "text": _clean(a.text),
                                "id": live_external_id(a.call_ref, a.seq),
                                "first": live_external_id(a.call_ref, chunk.first_seq),
                                "first_seq": chunk.first_seq,
                                "chunk": chunk.text,
                                "vector": vector_literal(vector),
                                "model": memory.embeddings.model_name,
                                "words": words,
                                "token_count": count_words(words),
                            },
                        )
                    ).fetchone()
                    assert row is not None
                    if row["customer_id"] != a.customer_id:
                        raise InvalidCall(f"call {a.call_ref} belongs to another customer")
            except Exception as exc:  # the others are still stored; the first failure raised
                failed = failed or exc
                continue
            ids[n] = row["message_id"]
    if failed is not None:
        raise failed
    return ids


async def record_live_answer(
    memory: Memory,
    customer_id: int,
    call_ref: str,
    *,
    seq: int,
    text: str,
    heard: Sequence[LiveTurn],
    language: str,
) -> int | None:
    """Store one spoken answer (`record_live_answers`): its message id, or None when that
    answer was stored before."""
    answer = LiveAnswer(customer_id, call_ref, seq, text, heard, language)
    return (await record_live_answers(memory, [answer]))[0]


_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def spoken_key(text: str) -> str:
    """A turn's words for matching a live turn to the transcript's (case, punctuation and
    spacing aside)."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", (text or "").casefold())).strip()


def same_turn(live: str, transcript: str) -> bool:
    """Whether the transcript's turn is the live one: the same words, or one holding the other
    (an answer the caller interrupted is in the transcript as far as it was spoken; a buffer
    phrase said before it is in the transcript and not in the stored answer)."""
    a, b = spoken_key(live), spoken_key(transcript)
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 12 and shorter in longer


async def complete_live_call(
    conn: AsyncConnection[Any],
    memory: Memory,
    *,
    customer_id: int,
    call_refs: Sequence[str],
    conversation_id: str,
    platform: str,
    spoken: Sequence[tuple[int, Any]],  # (seq, memory.calls.CallTurn) of the transcript
    started: datetime,
    chunks: Sequence[Chunk],
    vectors: Sequence[Sequence[float]],
    fields: dict[str, Any],
) -> tuple[int, bool, int] | None:
    """Complete this customer's live call with one of `call_refs` from its transcript, on the
    caller's open transaction: (interaction id, completed now, turns added), or None when no
    such live call exists (the call is then stored as a new one).

    Each transcript turn is matched, in order, to a live turn of the same speaker with the same
    words (`same_turn`): a matched turn keeps its message (its text becomes the transcript's,
    what was heard), the others are added; the call's chunks are rebuilt from the transcript,
    so nothing is indexed twice. `fields` are the interaction's columns to set (summary…)."""
    row = await (
        await conn.execute(
            """SELECT id, external_id FROM interactions
               WHERE call_ref = ANY(%s) AND customer_id = %s
               ORDER BY id LIMIT 1 FOR UPDATE""",
            (list(call_refs), customer_id),
        )
    ).fetchone()
    if row is None:
        return None
    interaction_id = int(row["id"])
    if row["external_id"] is not None:
        return interaction_id, False, 0  # completed before (the same webhook again)
    live = await (
        await conn.execute(
            "SELECT id, role, text FROM messages WHERE interaction_id = %s ORDER BY seq, id",
            (interaction_id,),
        )
    ).fetchall()
    position, added = 0, 0
    ids: dict[int, int] = {}
    for seq, turn in spoken:
        text = turn.text.strip()
        at = started + timedelta(seconds=float(turn.time_in_call_secs or 0))
        meta = jsonb({"tool_calls": turn.tool_calls} if turn.tool_calls else {})
        found = next(
            (
                j
                for j in range(position, len(live))
                if live[j]["role"] == turn.role and same_turn(live[j]["text"], text)
            ),
            None,
        )
        if found is not None:
            ids[seq] = int(live[found]["id"])
            position = found + 1
            await conn.execute(
                "UPDATE messages SET seq = %s, text = %s, created_at = %s, meta = meta || %s, "
                "updated_at = now() WHERE id = %s",
                (seq, text, at, meta, ids[seq]),
            )
            continue
        inserted = await (
            await conn.execute(
                """INSERT INTO messages (customer_id, interaction_id, channel, seq, direction,
                                         role, text, external_id, meta, created_at)
                   VALUES (%s, %s, 'call', %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                (
                    customer_id,
                    interaction_id,
                    seq,
                    "inbound" if turn.role == "customer" else "outbound",
                    turn.role,
                    text,
                    f"{platform}:{conversation_id}:{seq}",
                    meta,
                    at,
                ),
            )
        ).fetchone()
        assert inserted is not None
        ids[seq] = int(inserted["id"])
        added += 1
    await conn.execute("DELETE FROM memory_chunks WHERE interaction_id = %s", (interaction_id,))
    await insert_chunks(
        conn,
        memory,
        customer_id=customer_id,
        interaction_id=interaction_id,
        channel="call",
        occurred_at=started,
        chunks=[
            replace(c, first_message_id=ids[c.first_seq], last_message_id=ids[c.last_seq])
            for c in chunks
        ],
        vectors=vectors,
    )
    columns = {"external_id": conversation_id, "platform": platform, "started_at": started}
    columns.update(fields)
    await conn.execute(
        "UPDATE interactions SET "
        + ", ".join(f"{name} = %s" for name in columns)
        + " WHERE id = %s",
        (*columns.values(), interaction_id),
    )
    return interaction_id, True, added
