"""The agent's tool that updates next actions re-words the day a rescheduled action names, as
the board and the API do: the model copies "Llamar el martes 8 en la mañana" with a new due
time, and the action then reads "Llamar el miércoles 9 a las 10:00" (in the phrase's language;
the window dropped, the customer's words kept as the detail); another day named, or a text the
model wrote for the new day, is left as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from memory import NextAction, list_next_actions
from tools import NullNotifier, ToolDeps, invoke_tool, offline_outbox
from tools.rescheduling import reword_due

BOGOTA = ZoneInfo("America/Bogota")
DAYS = {
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


def deps_for(memory, customer_id: int, language: str = "es") -> ToolDeps:
    return ToolDeps(
        memory=memory,
        customer_id=customer_id,
        channel="whatsapp",
        sender=offline_outbox(memory),
        notifier=NullNotifier(),
        language=language,
    )


async def a_callback(deps: ToolDeps, window: str | None = None) -> NextAction:
    """A callback three days from now at 09:00 (in the morning, with `window`)."""
    when = (datetime.now(BOGOTA) + timedelta(days=3)).replace(hour=9, minute=0, second=0)
    args = {"when": when.strftime("%Y-%m-%dT%H:%M"), "reason": "revisar la cotización"}
    await invoke_tool("schedule_callback", args | ({"window": window} if window else {}), deps)
    (action,) = await list_next_actions(deps.memory, deps.customer_id)
    return action


def next_day_at_ten(action: NextAction) -> datetime:
    assert action.due_at is not None
    day = action.due_at.astimezone(BOGOTA) + timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0, tzinfo=None)


async def move(deps: ToolDeps, action: NextAction, description: str, due: datetime) -> NextAction:
    args = {"action_id": action.id, "description": description, "due": due.isoformat()}
    result = await invoke_tool("update_next_action", args, deps)
    assert "updated" in result, result
    (moved,) = await list_next_actions(deps.memory, deps.customer_id)
    return moved


async def test_a_rescheduled_callback_names_its_new_day_and_time(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    callback = await a_callback(deps, window="morning")
    assert callback.description.endswith("en la mañana")
    new = next_day_at_ten(callback)
    moved = await move(deps, callback, callback.description, new)
    assert moved.description == f"Llamar el {DAYS['es'][new.weekday()]} {new.day} a las 10:00"


async def test_a_rescheduled_callback_drops_its_window_and_keeps_its_detail(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    callback = await a_callback(deps, window="morning")
    moved = await move(deps, callback, callback.description, next_day_at_ten(callback))
    assert moved.meta == {"detail": "revisar la cotización"}


async def test_an_english_callback_is_reworded_in_english(memory, call_customer):
    deps = deps_for(memory, call_customer.id, language="en")
    callback = await a_callback(deps)
    new = next_day_at_ten(callback)
    moved = await move(deps, callback, callback.description, new)
    assert moved.description == f"Call on {DAYS['en'][new.weekday()]} {new.day} at 10:00"


async def test_a_text_the_model_wrote_for_the_new_day_is_kept(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    callback = await a_callback(deps)
    new = next_day_at_ten(callback)
    written = f"Llamar el {DAYS['es'][new.weekday()]} para revisar la cotización"
    assert (await move(deps, callback, written, new)).description == written


def test_another_day_named_in_the_text_is_left_alone():
    old = datetime(2026, 12, 7, 18, tzinfo=BOGOTA)  # Monday 7
    new = datetime(2026, 12, 9, 10, tzinfo=BOGOTA)
    text = "Confirmar la visita del jueves 10 — lunes 7 a las 18:00"
    reworded = reword_due(text, old, new, "America/Bogota", reference=old)
    assert reworded == "Confirmar la visita del jueves 10 — miércoles 9 a las 10:00"


def test_a_day_typed_without_accents_or_number_is_reworded():
    old = datetime(2026, 12, 9, 18, tzinfo=BOGOTA)  # Wednesday 9
    new = datetime(2026, 12, 11, 10, tzinfo=BOGOTA)
    text = "Llamar el miercoles a las 6 pm"
    reworded = reword_due(text, old, new, "America/Bogota", reference=old)
    assert reworded == "Llamar el viernes 11 a las 10:00"


def test_a_new_day_weeks_away_is_named_with_its_month():
    old = datetime(2026, 12, 7, 18, tzinfo=BOGOTA)
    new = datetime(2027, 1, 4, 9, tzinfo=BOGOTA)
    reworded = reword_due(
        "Llamar el lunes 7 a las 18:00", old, new, "America/Bogota", reference=old
    )
    assert reworded == "Llamar el lunes 4 de enero a las 09:00"


def test_the_old_day_is_read_in_the_business_time_zone():
    old = datetime(2026, 12, 8, 1, tzinfo=UTC)  # Monday 7 at 20:00 in Bogotá
    new = datetime(2026, 12, 9, 15, tzinfo=UTC)
    reworded = reword_due(
        "Llamar el lunes 7 a las 20:00", old, new, "America/Bogota", reference=old
    )
    assert reworded == "Llamar el miércoles 9 a las 10:00"
