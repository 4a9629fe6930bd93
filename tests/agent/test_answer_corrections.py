"""A fact taken back on the call and a second fact a few turns on (#17 item 2), through the real
graph on a stored call: the answer is what was finally agreed, and a question asking two kinds
of fact about one thing ("how much and when") gets both."""

from __future__ import annotations

import pytest

from agent import run_turn
from agent.rules.answers import _CORRECTION
from agent.rules.intents import fold
from tests.agent.conftest import stored_call

# Written for this test (a locksmith-free, florist-free made-up business: a piano tuner).
TUNER_TURNS = [
    ("agent", "Buenos días, ¿señora Inés? Le llamo de Afinaciones Do Mayor por su piano."),
    ("customer", "Sí, el piano de mi hija está muy desafinado."),
    ("agent", "La afinación completa sale en 95 mil pesos e incluye revisar los martillos."),
    ("customer", "¿Y el técnico qué día puede pasar?"),
    ("agent", "El lunes a las 4 de la tarde."),
    ("customer", "El lunes... uy no, espere, el lunes trabajo. Mejor el martes a esa hora."),
    ("agent", "Listo, el martes a las 4 de la tarde va el técnico, se llama Ramiro."),
    ("customer", "Gracias."),
]


@pytest.fixture
async def tuner_customer(memory):
    return await stored_call(memory, "conv_tuner_1", "+573105550123", TUNER_TURNS, "Inés")


async def test_the_day_taken_back_on_the_call_is_not_the_answer(agent, tuner_customer):
    result = await run_turn(
        agent, tuner_customer.id, "whatsapp", "al final q dia viene el tecnico y a q hora?"
    )
    reply = result.reply or ""
    assert "martes a las 4" in reply
    assert "«El lunes a las 4 de la tarde.»" not in reply


async def test_a_price_and_a_day_asked_together_are_both_answered(agent, tuner_customer):
    result = await run_turn(
        agent, tuner_customer.id, "whatsapp", "cuanto salia la afinacion y cuando pasan?"
    )
    reply = result.reply or ""
    assert "95 mil" in reply
    assert "martes" in reply


async def test_a_choice_of_another_option_does_not_take_back_a_price(agent, memory):
    turns = [
        ("agent", "El plan básico sale 100 mil pesos al mes y el premium 150 mil."),
        ("customer", "Mmm, prefiero el premium, creo."),
        ("agent", "Perfecto, el premium sale 150 mil pesos al mes con soporte incluido."),
    ]
    customer = await stored_call(memory, "conv_plans_1", "+573105550124", turns)
    result = await run_turn(agent, customer.id, "whatsapp", "cuanto era el plan basico?")
    assert "100 mil" in (result.reply or "")


@pytest.mark.parametrize(
    "said, corrects",
    [
        ("no, mejor el viernes", True),
        ("El jueves... no, espera, el jueves no puedo", True),
        ("actually, make it Friday", True),
        ("On second thought, the blue one", True),
        ("El jueves a las 8 está bien", False),
        ("Mejoró mucho desde la visita", False),
        ("That works for me", False),
    ],
)
def test_a_correction_is_read_in_both_languages(said, corrects):
    assert (_CORRECTION.search(fold(said)) is not None) is corrects


async def test_what_the_customer_answered_to_our_question_is_what_they_told_us(agent, memory):
    """Their own words asked back: the reply to our question about it, not an earlier line
    that only shares a word."""
    turns = [
        ("agent", "Hola Ema, le llamo de Mensajería Rápida por su paquete de mañana."),
        ("customer", "Ah, bien. Por favor no lo dejen en la puerta, que se lo roban."),
        ("agent", "Entendido. ¿Dónde se lo dejamos, entonces?"),
        ("customer", "Con la vecina del 2B, la señora Pilar."),
        ("agent", "Perfecto. La entrega es entre las 10 y las 2."),
    ]
    customer = await stored_call(memory, "conv_parcel_1", "+573105550126", turns)
    result = await run_turn(agent, customer.id, "whatsapp", "q les dije de donde dejar el paquete?")
    assert "Pilar" in (result.reply or "")
