"""Agent fixtures: a customer with a stored call, and an agent on the rules model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent import build_agent
from memory import CallRecord, CallTurn, save_call

CALL_TURNS = [
    ("agent", "Hola Ana, te llamo de Sol Andino por los paneles solares que cotizaste."),
    ("customer", "Hola, sí, estoy buscando paneles para mi casa en Chía."),
    ("agent", "¿Cuánto podrían pagar al mes?"),
    ("customer", "Unos 500 mil pesos como máximo, no más."),
    ("agent", "Perfecto. Te envío la cotización el jueves por WhatsApp."),
    ("customer", "Vale. ¿La instalación incluye el inversor?"),
    ("agent", "Lo verifico con el equipo técnico y te confirmo."),
]


@pytest.fixture
async def call_customer(memory):
    call = CallRecord(
        conversation_id="conv_ana_1",
        phone="+573001112233",
        turns=[CallTurn(r, t, i * 5.0) for i, (r, t) in enumerate(CALL_TURNS)],
        started_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        customer_name="Ana",
        summary="Ana quiere paneles solares para su casa en Chía; presupuesto 500 mil al mes.",
    )
    saved = await save_call(memory, call)
    return saved.customer


@pytest.fixture
async def agent(settings, memory):
    return await build_agent(settings, memory)
