"""Rescheduling a next action on the board or through the API re-words the day its text names:
"Llamar el martes 8 en la mañana" moved to Wednesday 10:00 reads "Llamar el miércoles 9 a las
10:00" (the window dropped with it); what the action is, and a text naming no day, stay."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from agent.analysis import analyze_and_store_call
from memory import CallRecord, CallTurn, NextAction, list_next_actions, save_call
from tests.dashboard.conftest import csrf_of

BOGOTA = ZoneInfo("America/Bogota")
DAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def analysed_call(services: Any) -> tuple[int, NextAction, NextAction]:
    """A call from an hour ago promising a quote on Thursday and a callback on Tuesday morning:
    the customer, the callback and the follow-up."""
    call = CallRecord(
        conversation_id="conv_reschedule_words",
        phone="+573001110088",
        turns=[
            CallTurn("customer", "Quiero la cotización del plan empresarial.", 0.0),
            CallTurn("agent", "Perfecto. Te envío la cotización el jueves por WhatsApp.", 5.0),
            CallTurn("customer", "¿Me pueden llamar el martes en la mañana?", 10.0),
            CallTurn("agent", "Claro, con gusto.", 15.0),
        ],
        started_at=datetime.now(UTC) - timedelta(hours=1),
        customer_name="Rosa Quintero",
    )
    saved = await save_call(services.memory, call)
    await analyze_and_store_call(services.memory, saved, call)
    actions = await list_next_actions(services.memory, saved.customer.id)
    (callback,) = [a for a in actions if a.type == "call"]
    (quote,) = [a for a in actions if a.description.startswith("Enviar cotización")]
    return saved.customer.id, callback, quote


def a_day_later_at_ten(action: NextAction) -> datetime:
    assert action.due_at is not None
    day = action.due_at.astimezone(BOGOTA) + timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def said(moment: datetime) -> str:
    return f"{DAYS_ES[moment.weekday()]} {moment.day} a las 10:00"


async def test_rescheduling_on_the_board_rewords_the_callback_day(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    customer_id, callback, _ = await analysed_call(services)
    assert callback.description.endswith("en la mañana")
    new = a_day_later_at_ten(callback)
    board = await browser_session.get("/actions")
    moved = await browser_session.post(
        f"/customers/{customer_id}/actions/{callback.id}",
        data={
            "csrf_token": csrf_of(board.text),
            "due_at": new.strftime("%Y-%m-%dT%H:%M"),
            "next": "/actions",
        },
    )
    assert moved.status_code == 303, moved.text
    page = text_of((await browser_session.get("/actions")).text)
    assert f"Llamar el {said(new)}" in page
    assert callback.description not in page


async def test_rescheduling_a_follow_up_keeps_what_it_is_and_names_the_new_day(
    api: httpx.AsyncClient, services: Any
) -> None:
    customer_id, _, quote = await analysed_call(services)
    new = a_day_later_at_ten(quote)
    answer = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{quote.id}",
        json={"due_at": new.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_action"]["description"] == (
        f"Enviar cotización por WhatsApp — {said(new)}"
    )


async def test_rescheduling_through_the_api_drops_the_window(
    api: httpx.AsyncClient, services: Any
) -> None:
    customer_id, callback, _ = await analysed_call(services)
    new = a_day_later_at_ten(callback)
    answer = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{callback.id}",
        json={"due_at": new.isoformat()},
    )
    moved = answer.json()["next_action"]
    assert (moved["description"], moved["window"]) == (f"Llamar el {said(new)}", None)


async def test_an_operators_text_naming_no_day_is_kept_on_reschedule(
    api: httpx.AsyncClient, services: Any
) -> None:
    customer_id, _, _ = await analysed_call(services)
    due = datetime.now(BOGOTA).replace(microsecond=0) + timedelta(days=2)
    created = await api.post(
        f"/api/customers/{customer_id}/next-actions",
        json={"description": "Enviar el catálogo impreso", "due_at": due.isoformat()},
    )
    action_id = created.json()["next_action"]["id"]
    answer = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{action_id}",
        json={"due_at": (due + timedelta(days=1)).isoformat()},
    )
    assert answer.json()["next_action"]["description"] == "Enviar el catálogo impreso"


async def test_completing_an_action_leaves_its_day_and_window(
    api: httpx.AsyncClient, services: Any
) -> None:
    customer_id, callback, _ = await analysed_call(services)
    assert callback.due_at is not None
    answer = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{callback.id}",
        json={"status": "done", "due_at": callback.due_at.isoformat()},
    )
    done = answer.json()["next_action"]
    assert (done["description"], done["window"]) == (callback.description, "morning")


async def test_api_actions_carry_their_detail_and_window(
    api: httpx.AsyncClient, services: Any
) -> None:
    customer_id, callback, _ = await analysed_call(services)
    listed = (await api.get(f"/api/customers/{customer_id}/next-actions")).json()
    (shown,) = [a for a in listed["next_actions"] if a["id"] == callback.id]
    words = "¿Me pueden llamar el martes en la mañana?"
    assert (shown["window"], shown["detail"]) == ("morning", words)


async def test_the_board_answer_carries_detail_window_and_declined_calls(
    api: httpx.AsyncClient, services: Any
) -> None:
    _, callback, _ = await analysed_call(services)
    board = (await api.get("/api/next-actions")).json()["next_actions"]
    (shown,) = [a for a in board if a["id"] == callback.id]
    assert (shown["window"], shown["detail"], shown["calls_declined"]) == (
        "morning",
        callback.meta["detail"],
        False,
    )


async def test_openapi_types_an_actions_detail_and_window(client: httpx.AsyncClient) -> None:
    components = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name in ("NextActionOut", "BoardActionOut", "ContextActionOut"):
        fields = components[name]["properties"]
        window = [t for t in fields["window"]["anyOf"] if t.get("type") == "string"]
        assert window[0]["enum"] == ["morning", "afternoon", "evening", "day"], name
        assert {t.get("type") for t in fields["detail"]["anyOf"]} == {"string", "null"}, name
