"""Answers to questions asked in other words than the call's (#17 item 2), on a stored call
through the real graph: the kind of fact asked finds the line that states one."""

from __future__ import annotations

import pytest

from agent import run_turn
from tests.agent.conftest import stored_call

# Written for this test: a made-up shoe repair shop's call, in Spanish.
COBBLER_TURNS = [
    ("agent", "Hola Rocío, te llamo de Zapatería Don Tito por tus zapatos."),
    ("customer", "Hola, sí, los negros de taco."),
    ("agent", "El cambio de suela tarda unos cinco días hábiles en el taller."),
    ("customer", "Bueno."),
    ("agent", "Sale 18 mil pesos, y te los entregamos lustrados."),
    ("customer", "Perfecto, gracias."),
]


@pytest.fixture
async def cobbler_customer(memory):
    return await stored_call(memory, "conv_cobbler_1", "+5491155501234", COBBLER_TURNS, "Rocío")


async def test_a_length_of_time_asked_in_other_words_is_answered_by_the_line_stating_one(
    agent, cobbler_customer
):
    # No word of the question is in the call: "cuánto se demoran" asks a length of time.
    result = await run_turn(agent, cobbler_customer.id, "whatsapp", "y cuanto se demoran con eso?")
    assert "cinco días hábiles" in (result.reply or "")


async def test_a_length_of_time_the_call_never_stated_quotes_no_other_line(memory, agent):
    turns = [t for t in COBBLER_TURNS if "tarda" not in t[1]]
    customer = await stored_call(memory, "conv_cobbler_2", "+5491155501235", turns, "Rocío")
    result = await run_turn(agent, customer.id, "whatsapp", "y cuanto se demoran con eso?")
    assert "«" not in (result.reply or "")  # not the price, nor the greeting
