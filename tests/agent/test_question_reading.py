"""How a message is read as a question: without its mark, beside declined calls, as a
confirmation of what was agreed, and a bare keyword answering our offer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.rules.entities import expand_shorthand, is_question
from agent.rules.intents import classify, fold

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Bogota"))


@pytest.mark.parametrize(
    "text",
    [
        "y la cuota inicial cuanto era",
        "oye el repartidor que dia venia era",
        "y la sede donde es",
        "el deposito era en efectivo o por transferencia",
        "and the deposit how much was",
        expand_shorthand("the fee kitna hai"),
    ],
)
def test_questions_without_a_mark(text: str) -> None:
    assert is_question(text, fold(text))


@pytest.mark.parametrize(
    "text",
    ["eso no es lo que era", "les pago el viernes", "quiero el plan de la mañana o el de la tarde"],
)
def test_statements_are_not_questions(text: str) -> None:
    assert not is_question(text, fold(text))


@pytest.mark.parametrize(
    "text",
    [
        "la clase queda el mismo día la otra semana, ¿verdad?",
        "so the cleaning is on the usual day next week, right?",
        "¿y pasan por la mañana o por la tarde?",
    ],
)
def test_confirming_what_was_agreed_books_nothing(text: str) -> None:
    assert classify(text, NOW).intent == "recall"


def test_a_booking_request_still_books() -> None:
    assert classify("¿me lo pueden pasar al lunes en la mañana?", NOW).intent == "schedule"


def test_declined_calls_and_the_question_beside_them() -> None:
    reading = classify("No me llamen más, mejor por escrito. ¿Cuándo pasa el mensajero?", NOW)
    assert reading.declines_calls
    assert reading.intent == "recall"
    assert reading.asked_beside == "¿Cuándo pasa el mensajero?"
    alone = classify("No me llamen más, mejor escríbanme por aquí.", NOW)
    assert alone.intent == "no_calls" and alone.asked_beside is None


@pytest.mark.parametrize("text", ["alta", "baja", "Alta"])
def test_a_bare_keyword_that_reached_the_model_is_a_choice(text: str) -> None:
    assert classify(text, NOW).intent == "choice"


def test_an_opt_in_keyword_naming_no_offer_is_taken_as_opt_in() -> None:
    from agent.rules.compose import compose_reply
    from agent.rules.intents import Reading
    from prompts import message

    assert compose_reply(Reading("choice"), "alta", {}, "es") == message("opted_in", "es")
