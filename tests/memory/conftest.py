"""Helpers for the memory suite: row counts across every table, and calls built like webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from memory import CallRecord, CallTurn, Memory

TABLES = (
    "customers",
    "interactions",
    "messages",
    "memory_chunks",
    "insights",
    "next_actions",
    "escalations",
    "webhook_events",
)


async def table_counts(memory: Memory) -> dict[str, int]:
    """Rows in every memory table (to show that a rejected write left nothing behind)."""
    counts = {}
    async with memory.pool.connection() as conn:
        for table in TABLES:
            row = await (await conn.execute(f"SELECT count(*) AS n FROM {table}")).fetchone()
            assert row is not None
            counts[table] = row["n"]
    return counts


NOTHING = dict.fromkeys(TABLES, 0)

SALES_TURNS = [
    ("agent", "Hola, le habla Sofía de SolarCasa. ¿Tiene un minuto?"),
    ("customer", "Sí, claro. Estoy pensando en poner paneles solares en la casa."),
    ("agent", "¿Cuánto le llega la factura de energía al mes?"),
    ("customer", "Unos 350 mil pesos, y mi presupuesto es de 15 millones."),
    ("agent", "Perfecto, le envío una cotización al correo."),
    ("customer", "Mi correo es ana.perez@example.com. Gracias."),
]


def make_call(
    conversation_id: str = "conv_001",
    phone: str | None = "+57 313 853 9155",
    turns: list[tuple[str, str]] | None = None,
    started_at: datetime | None = None,
    **extra: Any,
) -> CallRecord:
    """A finished call as the ElevenLabs ingest builds it, 5 s between turns."""
    return CallRecord(
        conversation_id=conversation_id,
        phone=phone,
        turns=[
            CallTurn(role=role, text=text, time_in_call_secs=5.0 * i)  # type: ignore[arg-type]
            for i, (role, text) in enumerate(SALES_TURNS if turns is None else turns)
        ],
        started_at=started_at or datetime(2025, 3, 1, 15, 0, tzinfo=UTC),
        **extra,
    )


@pytest.fixture
def counts():
    return table_counts
