"""The labelled recall set (tests/data/recall_labelled.json): loading, ingesting, scoring.

Each query names the transcript turns that answer it; a recalled chunk is a hit when it comes
from that call and its turn range covers one of them. Recall@k is the share of queries with a
hit among the first k chunks. Used by the recall tests and by the tuning runs behind the
constants in memory/recall.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from memory import CallRecord, CallTurn, Memory, recall, save_call
from memory.recall import Mode

DATA = Path(__file__).resolve().parents[1] / "data" / "recall_labelled.json"
KS = (1, 3, 5)


@cache
def labelled_set() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def is_cross_lingual(query: dict[str, Any]) -> bool:
    """The query is in another language than every call it searches."""
    customer = next(c for c in labelled_set()["customers"] if c["key"] == query["customer"])
    return all(call["language"] != query["language"] for call in customer["calls"])


def call_record(customer: dict[str, Any], call: dict[str, Any]) -> CallRecord:
    return CallRecord(
        conversation_id=call["conversation_id"],
        phone=customer["phone"],
        customer_name=customer["name"],
        language=call["language"],
        direction=call["direction"],
        started_at=datetime.fromisoformat(call["started_at"]),
        turns=[CallTurn(role=t["role"], text=t["text"]) for t in call["turns"]],
    )


@dataclass
class Ingested:
    customer_ids: dict[str, int]  # customer key -> id
    interaction_ids: dict[str, int]  # conversation id -> interaction id


async def ingest_labelled(memory: Memory) -> Ingested:
    """Store every call of the set through `save_call`, as production does."""
    customers: dict[str, int] = {}
    interactions: dict[str, int] = {}
    for customer in labelled_set()["customers"]:
        for call in customer["calls"]:
            saved = await save_call(memory, call_record(customer, call))
            customers[customer["key"]] = saved.customer.id
            interactions[call["conversation_id"]] = saved.interaction_id
    return Ingested(customers, interactions)


def is_hit(query: dict[str, Any], ingested: Ingested, hit: Any) -> bool:
    for answer in query["answers"]:
        if ingested.interaction_ids[answer["conversation_id"]] != hit.interaction_id:
            continue
        if any(hit.first_seq <= turn <= hit.last_seq for turn in answer["turns"]):
            return True
    return False


async def first_hit_ranks(memory: Memory, ingested: Ingested, mode: Mode) -> list[int | None]:
    """For each query, the 1-based rank of its first correct chunk in the top max(KS)."""
    ranks: list[int | None] = []
    for query in labelled_set()["queries"]:
        hits = await recall(
            memory, ingested.customer_ids[query["customer"]], query["query"], k=max(KS), mode=mode
        )
        rank = next((i + 1 for i, h in enumerate(hits) if is_hit(query, ingested, h)), None)
        ranks.append(rank)
    return ranks


def recall_at(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


async def recall_table(memory: Memory, ingested: Ingested) -> dict[str, dict[int, float]]:
    """{mode: {k: recall@k}} for hybrid, vector-only and text-only."""
    table = {}
    for mode in ("hybrid", "vector", "text"):
        ranks = await first_hit_ranks(memory, ingested, mode)  # type: ignore[arg-type]
        table[mode] = {k: recall_at(ranks, k) for k in KS}
    return table


def format_table(table: dict[str, dict[int, float]]) -> str:
    return "\n".join(
        f"{mode:>6}: " + "  ".join(f"@{k} {v:.3f}" for k, v in row.items())
        for mode, row in table.items()
    )
