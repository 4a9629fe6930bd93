"""Loading the long-history set into memory through the real paths, and scoring recall on it.

Calls go through `agent.ingest.ingest_call` (stored, analysed by the rules, follow-up written
to the store-only outbox); WhatsApp turns through `save_message`, one message a turn. Months
of history cannot be waited for, so once a session is stored its WhatsApp rows (messages, their
conversation, their chunks) are moved back to the session's date — the one write behind the
code's back, standing in for time passing. Each turn id maps to the id of its stored message;
a recalled chunk covers a turn when the turn's message lies in the chunk's message range.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.ingest import ingest_call
from evals.longhistory.dataset import load_set
from memory import CallRecord, CallTurn, Memory, RecallHit, get_or_create_customer, save_message
from memory.recall import Mode, recall
from tools.outbox import Outbox

KS = (1, 3, 5, 10)
TURN_GAP = timedelta(seconds=40)  # between two WhatsApp messages of one session


@dataclass
class Loaded:
    customer_ids: dict[str, int] = field(default_factory=dict)  # customer key -> id
    message_ids: dict[str, int] = field(default_factory=dict)  # turn id -> message id


async def _backdate_whatsapp(
    memory: Memory, customer_id: int, after_message: int, started: datetime
) -> None:
    async with memory.pool.connection() as conn, conn.transaction():
        await conn.execute(
            """UPDATE messages m SET created_at = %(start)s + %(gap)s * o.n
               FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM messages
                     WHERE customer_id = %(c)s AND id > %(after)s) o
               WHERE m.id = o.id""",
            {"start": started, "gap": TURN_GAP, "c": customer_id, "after": after_message},
        )
        await conn.execute(
            """UPDATE memory_chunks k SET occurred_at = m.created_at
               FROM messages m
               WHERE k.customer_id = %s AND k.channel <> 'call'
                 AND m.id = k.last_message_id AND m.id > %s""",
            (customer_id, after_message),
        )
        await conn.execute(
            """UPDATE interactions i SET started_at = s.first
               FROM (SELECT interaction_id, min(created_at) AS first FROM messages
                     WHERE customer_id = %s AND id > %s GROUP BY interaction_id) s
               WHERE i.id = s.interaction_id AND i.channel <> 'call'""",
            (customer_id, after_message),
        )


async def _last_message_id(memory: Memory) -> int:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute("SELECT coalesce(max(id), 0) AS id FROM messages")
        ).fetchone()
    return int(row["id"]) if row else 0


async def load_customer(memory: Memory, customer: dict[str, Any], loaded: Loaded) -> None:
    """Every session of `customer`, oldest first, through the production paths."""
    lang = customer["language"]
    sender = Outbox(memory)
    for session in customer["sessions"]:
        started = datetime.fromisoformat(session["started_at"])
        marker = await _last_message_id(memory)
        if session["channel"] == "call":
            call = CallRecord(
                conversation_id=session["id"],
                phone=customer["phone"],
                customer_name=customer["name"],
                language=lang,
                direction="outbound" if session["turns"][0]["role"] == "agent" else "inbound",
                started_at=started,
                turns=[
                    CallTurn(role=t["role"], text=t["text"], time_in_call_secs=6.0 * i)
                    for i, t in enumerate(session["turns"])
                ],
            )
            ingested = await ingest_call(memory, call, model=None, sender=sender)
            customer_id = ingested.saved.customer.id
            async with memory.pool.connection() as conn:
                rows = await (
                    await conn.execute(
                        "SELECT seq, id FROM messages WHERE interaction_id = %s",
                        (ingested.saved.interaction_id,),
                    )
                ).fetchall()
            by_seq = {r["seq"]: r["id"] for r in rows}
            for seq, turn in enumerate(session["turns"]):
                loaded.message_ids[turn["id"]] = by_seq[seq]
        else:
            found = await get_or_create_customer(
                memory, customer["phone"], name=customer["name"], language=lang
            )
            customer_id = found.id
            for turn in session["turns"]:
                inbound = turn["role"] == "customer"
                message, _ = await save_message(
                    memory,
                    customer_id,
                    channel="whatsapp",
                    direction="inbound" if inbound else "outbound",
                    role=turn["role"],
                    text=turn["text"],
                    external_id=f"lh-{turn['id']}",
                    language=lang,
                )
                loaded.message_ids[turn["id"]] = message.id
        # The call's follow-up and the chat move to the session's date.
        await _backdate_whatsapp(memory, customer_id, marker, started)
        loaded.customer_ids[customer["key"]] = customer_id


async def chunk_ranges(memory: Memory) -> dict[int, tuple[int, int]]:
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT id, first_message_id, last_message_id FROM memory_chunks")
        ).fetchall()
    return {r["id"]: (r["first_message_id"], r["last_message_id"]) for r in rows}


def covered(
    hits: Sequence[RecallHit], evidence: list[str], loaded: Loaded, ranges: dict[int, tuple]
) -> list[bool]:
    """Per evidence turn: whether one of `hits` covers it."""
    spans = [ranges[h.chunk_id] for h in hits]
    return [
        any(lo <= loaded.message_ids[t] <= hi for lo, hi in spans if lo is not None)
        for t in evidence
    ]


@dataclass
class Score:
    """hit@k (some evidence turn in the top k) and covered share (of its evidence turns)."""

    hit: dict[int, float] = field(default_factory=lambda: dict.fromkeys(KS, 0.0))
    cover: dict[int, float] = field(default_factory=lambda: dict.fromkeys(KS, 0.0))
    n: int = 0

    def add(self, hits: Sequence[RecallHit], evidence: list[str], loaded: Loaded, ranges) -> None:
        self.n += 1
        for k in KS:
            flags = covered(hits[:k], evidence, loaded, ranges)
            self.hit[k] += any(flags)
            self.cover[k] += sum(flags) / len(flags)

    def rates(self) -> tuple[dict[int, float], dict[int, float]]:
        n = max(self.n, 1)
        return ({k: v / n for k, v in self.hit.items()}, {k: v / n for k, v in self.cover.items()})


async def score_questions(
    memory: Memory,
    questions: list[dict[str, Any]],
    loaded: Loaded,
    mode: Mode,
    **recall_options: Any,
) -> dict[str, Score]:
    """Scores keyed "all", "lang=es", "kind=time", "cue=latest", … for one mode."""
    ranges = await chunk_ranges(memory)
    scores: dict[str, Score] = {}
    for q in questions:
        hits = await recall(
            memory,
            loaded.customer_ids[q["customer"]],
            q["question"],
            k=max(KS),
            mode=mode,
            **recall_options,
        )
        keys = ["all", f"lang={q['language']}", f"kind={q['kind']}"]
        if q.get("cue"):
            keys.append(f"cue={q['cue']}")
        for key in keys:
            scores.setdefault(key, Score()).add(hits, q["evidence"], loaded, ranges)
    return scores


def subset(data: dict[str, Any], keys: Collection[str]) -> dict[str, Any]:
    """The customers of the set with these keys, and their questions."""
    keep = [c for c in data["customers"] if c["key"] in keys]
    questions = [q for q in data["questions"] if q["customer"] in keys]
    return {**data, "customers": keep, "questions": questions}


__all__ = ["KS", "Loaded", "Score", "load_customer", "load_set", "score_questions", "subset"]
