"""A callback asked for on WhatsApp is due at the time the customer said, and its next action
reads "Llamar el lunes 7 a las 18:00": the day and time (or the part of the day) in the text an
operator reads, in the customer's language; the customer's words kept as its detail."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agent import run_turn
from memory import create_next_action, list_next_actions, update_next_action
from tests.agent.conftest import tool_names

BOGOTA = ZoneInfo("America/Bogota")
DAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


def next_weekday(weekday: int) -> datetime:
    """The next such weekday after today in Bogotá ("el lunes" said today)."""
    today = datetime.now(BOGOTA)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


async def only_call(agent, customer_id):
    (call,) = [a for a in await list_next_actions(agent.memory, customer_id) if a.type == "call"]
    return call


async def test_six_pm_is_due_at_18_and_read_with_day_and_time(agent, call_customer):
    result = await run_turn(
        agent, call_customer.id, "whatsapp", "llámenme el lunes a las 6 pm porfa"
    )
    assert tool_names(result) == ["schedule_callback"]
    call = await only_call(agent, call_customer.id)
    due = call.due_at.astimezone(BOGOTA)
    monday = next_weekday(0)
    assert (due.date(), due.strftime("%H:%M")) == (monday.date(), "18:00")
    assert call.description == f"Llamar el lunes {monday.day} a las 18:00"
    words = "llámenme el lunes a las 6 pm porfa"
    assert call.meta["detail"] == f"El cliente pidió que lo llamen: «{words}»"


async def test_a_morning_is_kept_as_a_window_not_a_clock_time(agent, call_customer):
    await run_turn(agent, call_customer.id, "whatsapp", "Me pueden llamar el martes en la mañana?")
    call = await only_call(agent, call_customer.id)
    tuesday = next_weekday(1)
    assert call.description == f"Llamar el martes {tuesday.day} en la mañana"
    assert call.meta["window"] == "morning"
    # The moment the call is placed lies inside the morning; the text promises no clock time.
    assert call.due_at.astimezone(BOGOTA).date() == tuesday.date()
    assert 6 <= call.due_at.astimezone(BOGOTA).hour < 12


async def test_an_english_callback_reads_in_english(agent, call_customer):
    await run_turn(agent, call_customer.id, "whatsapp", "Can you call me on Friday at 4:30 pm?")
    call = await only_call(agent, call_customer.id)
    friday = next_weekday(4)
    assert call.description == f"Call on Friday {friday.day} at 16:30"
    assert call.due_at.astimezone(BOGOTA).strftime("%H:%M") == "16:30"


async def test_rescheduling_to_a_clock_time_drops_the_window(agent, call_customer):
    await run_turn(agent, call_customer.id, "whatsapp", "Me pueden llamar el martes en la mañana?")
    call = await only_call(agent, call_customer.id)
    later = call.due_at + timedelta(days=1, hours=5)
    moved = await update_next_action(agent.memory, call_customer.id, call.id, due_at=later)
    assert moved is not None and "window" not in moved.meta
    assert moved.meta["detail"] == call.meta["detail"]


async def test_a_second_callback_request_moves_the_first(agent, call_customer):
    await run_turn(agent, call_customer.id, "whatsapp", "llámenme el miércoles a las 10 am")
    first = await only_call(agent, call_customer.id)
    await run_turn(agent, call_customer.id, "whatsapp", "mejor llámenme el jueves a las 4 pm")
    moved = await only_call(agent, call_customer.id)  # still one call to place
    thursday = next_weekday(3)
    assert moved.id == first.id
    assert moved.due_at.astimezone(BOGOTA).date() == thursday.date()
    assert moved.description == f"Llamar el jueves {thursday.day} a las 16:00"
    assert "jueves" in moved.meta["detail"]


async def test_an_operators_call_task_is_not_moved_by_a_callback_request(agent, call_customer):
    task = await create_next_action(
        agent.memory,
        call_customer.id,
        "Llamar para confirmar la dirección",
        type="call",
        due_at=datetime.now(BOGOTA) + timedelta(days=2),
        created_by="operator:ana@example.com",
    )
    await run_turn(agent, call_customer.id, "whatsapp", "llámenme el viernes a las 9 am")
    calls = [a for a in await list_next_actions(agent.memory, call_customer.id) if a.type == "call"]
    assert len(calls) == 2
    (kept,) = [a for a in calls if a.id == task.id]
    assert (kept.description, kept.due_at) == (task.description, task.due_at)
