"""The board and the customer page show a call's next action as the short imperative, the
call's sentence under it as secondary text, and a window said without a clock time ("en la
mañana") as that window, not as the clock time stored for it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx

from agent.analysis import analyze_and_store_call
from memory import CallRecord, CallTurn, save_call


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def analysed_call(services: Any) -> int:
    call = CallRecord(
        conversation_id="conv_board_words",
        phone="+573001110077",
        turns=[
            CallTurn("customer", "Quiero la cotización del plan empresarial.", 0.0),
            CallTurn("agent", "Perfecto. Te envío la cotización el jueves por WhatsApp.", 5.0),
            CallTurn("customer", "¿Me pueden llamar el martes en la mañana?", 10.0),
            CallTurn("agent", "Claro, con gusto.", 15.0),
        ],
        started_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),  # Friday, 10:00 in Bogotá
        customer_name="Lucía Prada",
    )
    saved = await save_call(services.memory, call)
    await analyze_and_store_call(services.memory, saved, call)
    return saved.customer.id


async def test_board_shows_the_imperative_its_source_and_the_window(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    await analysed_call(services)
    page = text_of((await browser_session.get("/actions")).text)
    assert "Enviar cotización por WhatsApp — jueves 26" in page
    assert "Perfecto. Te envío la cotización el jueves por WhatsApp." in page  # the detail
    assert "Llamar el martes 24 en la mañana" in page
    assert "para 2026-11-24 en la mañana" in page and "2026-11-24 10:00" not in page


async def test_customer_page_shows_the_imperative_and_its_source(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    customer_id = await analysed_call(services)
    page = text_of((await browser_session.get(f"/customers/{customer_id}")).text)
    assert "Enviar cotización por WhatsApp — jueves 26" in page
    assert "Perfecto. Te envío la cotización el jueves por WhatsApp." in page
    assert "2026-11-24 en la mañana" in page
