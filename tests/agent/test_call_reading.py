"""The rules' reading of a call: each promise gets the date said next to it."""

from datetime import datetime
from zoneinfo import ZoneInfo

from agent.rules.calls import read_call
from memory import CallRecord
from memory.calls import CallTurn

BOGOTA = ZoneInfo("America/Bogota")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=BOGOTA)


def _call(*agent_lines: str) -> CallRecord:
    turns = [CallTurn("customer", "Hola, quiero la cotización.")]
    turns += [CallTurn("agent", line) for line in agent_lines]
    return CallRecord(conversation_id="conv_test", phone=None, turns=turns, started_at=MONDAY)


def test_a_promise_takes_the_day_of_its_own_clause():
    call = _call("Le envío la cotización el jueves, y el sábado va el técnico.")
    reading = read_call(call, MONDAY)
    assert [s.due.strftime("%A") for s in reading.steps if s.due] == ["Thursday"]


def test_two_promises_in_one_turn_are_two_steps_with_their_dates():
    reading = read_call(
        _call("Perfect, you're booked for Friday at 10 a.m. I'll send the written quote tomorrow."),
        MONDAY,
    )
    assert [(s.due.strftime("%A"), s.due.hour) for s in reading.steps if s.due] == [
        ("Friday", 10),
        ("Tuesday", 10),
    ]
