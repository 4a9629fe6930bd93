"""Agent fixtures: customers with stored (and analysed) calls, and agents on the rules model.

State is built through the real code: `save_call` for calls, `analyze_and_store_call` for
their analysis, `run_turn` for conversations. The only stand-ins are the injected ports a
deployment provides (an escalation notifier that records, a sender that fails).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent import build_agent
from agent.analysis import analyze_and_store_call
from memory import CallRecord, CallTurn, Escalation, save_call

DATA = Path(__file__).parent / "data"
CALL_TURNS = [
    ("agent", "Hola Ana, te llamo de Sol Andino por los paneles solares que cotizaste."),
    ("customer", "Hola, sí, estoy buscando paneles para mi casa en Chía."),
    ("agent", "¿Cuánto podrían pagar al mes?"),
    ("customer", "Unos 500 mil pesos como máximo, no más."),
    ("agent", "Perfecto. Te envío la cotización el jueves por WhatsApp."),
    ("customer", "Vale. ¿La instalación incluye el inversor?"),
    ("agent", "Lo verifico con el equipo técnico y te confirmo."),
]


def ana_call(phone: str = "+573001112233", conversation_id: str = "conv_ana_1") -> CallRecord:
    return CallRecord(
        conversation_id=conversation_id,
        phone=phone,
        turns=[CallTurn(r, t, i * 5.0) for i, (r, t) in enumerate(CALL_TURNS)],
        # Friday 20 November 2026, 10:00 in Bogotá
        started_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        customer_name="Ana",
        summary="Ana quiere paneles solares para su casa en Chía; presupuesto 500 mil al mes.",
    )


async def stored_call(
    memory: Any,
    conversation_id: str,
    phone: str,
    turns: list[tuple[str, str]],
    name: str | None = None,
) -> Any:
    """The customer of a call of (role, text) turns six seconds apart, stored (not analysed)."""
    call = CallRecord(
        conversation_id=conversation_id,
        phone=phone,
        turns=[CallTurn(r, t, i * 6.0) for i, (r, t) in enumerate(turns)],  # type: ignore[arg-type]
        started_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
        customer_name=name,
    )
    return (await save_call(memory, call)).customer


def realistic_call() -> CallRecord:
    data = json.loads((DATA / "call_solar.json").read_text())
    return CallRecord(
        conversation_id=data["conversation_id"],
        phone=data["phone"],
        turns=[CallTurn(r, t, i * 14.0) for i, (r, t) in enumerate(data["turns"])],
        started_at=datetime.fromisoformat(data["started_at"]),
        customer_name=data["customer_name"],
        duration_secs=data["duration_secs"],
    )


@pytest.fixture
async def call_customer(memory):
    """Ana: one stored call (not analysed)."""
    return (await save_call(memory, ana_call())).customer


@pytest.fixture
async def analysed_customer(memory):
    """Ana: one stored call, analysed (pending question, dated next step, topics)."""
    call = ana_call()
    saved = await save_call(memory, call)
    await analyze_and_store_call(memory, saved, call)
    return saved.customer


@pytest.fixture
async def agent(settings, memory):
    return await build_agent(settings, memory)


class RecordingNotifier:
    """An escalation notifier (the dashboard's port) that remembers what it was told."""

    def __init__(self) -> None:
        self.opened: list[Escalation] = []

    async def escalation_opened(self, escalation: Escalation) -> None:
        self.opened.append(escalation)


class FailingSender:
    """A WhatsApp sender whose provider is down."""

    async def send_text(self, customer_id: int, text: str, *, role: str = "agent") -> int:
        raise RuntimeError("provider unavailable")


def tool_names(result: Any) -> list[str]:
    return [c["name"] for c in result.tool_calls]
