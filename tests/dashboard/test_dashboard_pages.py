"""The dashboard reads well for an operator: Spanish labels instead of codes, the board's
filters and warnings, the escalation count and SLA in the navigation, times with their zone,
a favicon, and a reply that lands on the thread."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from memory import (
    add_insights,
    create_next_action,
    get_or_create_customer,
    set_opted_out,
    update_profile,
)
from memory.escalations import open_escalation
from tests.dashboard.conftest import csrf_of

ANA, NAMELESS = "+573001110001", "+573001110002"


def text_of(html: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def _board_data(services: Any) -> dict[str, int]:
    memory = services.memory
    ana = await get_or_create_customer(memory, ANA, name="Ana Gómez")
    nameless = await get_or_create_customer(memory, NAMELESS)
    await set_opted_out(memory, nameless.id, True)
    past = datetime.now(UTC) - timedelta(days=1)
    soon = datetime.now(UTC) + timedelta(days=2)
    await create_next_action(
        memory, ana.id, "Enviar cotización por WhatsApp", due_at=past, created_by="call_analysis"
    )
    await create_next_action(memory, ana.id, "Llamar para confirmar", type="call", due_at=soon)
    await create_next_action(memory, nameless.id, "Escribir la propuesta", due_at=soon)
    return {"ana": ana.id, "nameless": nameless.id}


async def test_board_shows_readable_labels_and_a_legend(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    await _board_data(services)
    page = text_of((await browser_session.get("/actions")).text)
    for code in ("follow_up", "call_analysis"):
        assert code not in page
    assert "Seguimiento" in page and "Llamar" in page and "análisis de la llamada" in page
    assert "Vencida (la fecha ya pasó)" in page


async def test_board_filters_by_overdue_type_and_customer(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    await _board_data(services)

    async def shown(**params: str) -> set[str]:
        html = (await browser_session.get("/actions", params=params)).text
        wanted = ("Enviar cotización", "Llamar para confirmar", "Escribir la propuesta")
        return {d for d in wanted if d in html}

    assert await shown(overdue="true") == {"Enviar cotización"}
    assert await shown(type="call") == {"Llamar para confirmar"}
    assert await shown(customer="ana") == {"Enviar cotización", "Llamar para confirmar"}
    assert await shown(customer="110002") == {"Escribir la propuesta"}


async def test_an_opted_out_customers_action_carries_a_warning(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    await _board_data(services)
    html = (await browser_session.get("/actions", params={"customer": "110002"})).text
    assert "no recibir mensajes automáticos" in html
    html = (await browser_session.get("/actions", params={"customer": "ana"})).text
    assert "no recibir mensajes automáticos" not in html


async def test_navigation_counts_waiting_escalations_and_shows_the_sla(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    ids = await _board_data(services)
    await open_escalation(services.memory, ids["ana"], "Pide hablar con alguien")
    page = text_of((await browser_session.get("/")).text)
    assert "Escalaciones 1" in page
    sla = round(services.settings.escalation_sla.total_seconds() / 60)
    assert f"SLA {sla} min" in page


async def test_customer_page_speaks_spanish_and_says_each_thing_once(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    ids = await _board_data(services)
    await update_profile(services.memory, ids["ana"], {"calls": "declined", "budget": "2 M"})
    await add_insights(
        services.memory,
        ids["ana"],
        None,
        [("pending_question", "¿Incluye la instalación?"), ("topic", "paneles solares")],
    )
    page = text_of((await browser_session.get(f"/customers/{ids['ana']}")).text)
    assert "Presupuesto 2 M" in page and "no quiere llamadas" in page
    assert "calls" not in page and "budget" not in page and "declined" not in page
    assert page.count("¿Incluye la instalación?") == 1  # pending, not again under "Lo que sabemos"
    assert "Tema: paneles solares" in page
    assert "Escalado" not in page and "Activo" in page
    html = (await browser_session.get(f"/customers/{ids['nameless']}")).text
    main = text_of(html.split("<main>", 1)[1])  # the page, not its <title>
    assert main.count("+573001110002") == 1


async def test_times_are_shown_with_the_time_zone(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    await _board_data(services)
    page = text_of((await browser_session.get("/actions")).text)
    assert re.search(r"para \d{4}-\d\d-\d\d \d\d:\d\d (UTC[+-]\d|[A-Z]{2,5}\b)", page), page


async def test_a_reply_lands_on_the_thread(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    ids = await _board_data(services)
    page = await browser_session.get(f"/customers/{ids['ana']}")
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)
    assert request_id
    answer = await browser_session.post(
        f"/customers/{ids['ana']}/reply",
        data={
            "text": "Hola Ana",
            "request_id": request_id.group(1),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/customers/{ids['ana']}#thread"
    assert 'id="thread"' in page.text


async def test_the_favicon_is_served(client: httpx.AsyncClient) -> None:
    for path in ("/favicon.ico", "/static/favicon.svg"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("image/svg+xml"), path


async def test_the_board_api_takes_the_same_filters_and_flags_each_action(
    api: httpx.AsyncClient, services: Any
) -> None:
    await _board_data(services)
    overdue = (await api.get("/api/next-actions", params={"overdue": "true"})).json()
    assert [a["description"] for a in overdue["next_actions"]] == ["Enviar cotización por WhatsApp"]
    assert overdue["next_actions"][0]["overdue"] is True
    calls = (await api.get("/api/next-actions", params={"type": "call"})).json()["next_actions"]
    assert [a["type"] for a in calls] == ["call"]
    nameless = (await api.get("/api/next-actions", params={"customer": "110002"})).json()
    assert [a["opted_out"] for a in nameless["next_actions"]] == [True]
    assert (await api.get("/api/next-actions", params={"type": "DROP TABLE"})).status_code == 422
