"""A promise sentence becomes the short imperative an operator reads: the promise's verbs as
imperatives, their objects, the channel, and the due day in the customer's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.rules.intents import fold
from agent.rules.when import parse_when, part_of_day
from agent.rules.wording import word_step

BOGOTA = ZoneInfo("America/Bogota")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=BOGOTA)


def worded(text: str, language: str = "es", kind: str = "follow_up", **kw: object) -> str:
    due = parse_when(fold(text), MONDAY)
    part = part_of_day(fold(text)) if due else None
    return word_step(
        text,
        kind=kind,
        due=due,
        part=part,
        language=language,
        timezone="America/Bogota",
        reference=MONDAY,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("said", "action"),
    [
        (
            "Perfecto. Te envío la cotización el jueves por WhatsApp.",
            "Enviar cotización por WhatsApp — jueves 26",
        ),
        (
            "Listo, le mando la propuesta al correo mañana.",
            "Enviar propuesta por correo — martes 24",
        ),
        (
            "Déjeme verificarlo con bodega y le confirmo.",
            "Verificar con bodega y confirmar",
        ),
        (
            "Con gusto, le reservo la mesa para cuatro el sábado a las 8 de la noche.",
            "Reservar mesa para cuatro — sábado 28 a las 20:00",
        ),
        (
            "Vale, te voy a pasar el catálogo de vacunas por WhatsApp hoy en la tarde.",
            "Enviar catálogo de vacunas por WhatsApp — lunes 23 en la tarde",
        ),
        (
            "Perfecto, queda agendado el viernes a las 3 con el doctor Ruiz.",
            "Realizar cita con el doctor Ruiz — viernes 27 a las 15:00",
        ),
    ],
)
def test_a_spanish_promise_becomes_an_imperative(said: str, action: str) -> None:
    assert worded(said) == action


@pytest.mark.parametrize(
    ("said", "action"),
    [
        (
            "I'll send the written quote by WhatsApp tomorrow.",
            "Send the written quote on WhatsApp — Tuesday 24",
        ),
        (
            "Let me check with the warehouse and I'll get back to you by Thursday.",
            "Check with the warehouse and get back to the customer — Thursday 26",
        ),
        (
            "Perfect, you're booked for Friday at 10 a.m.",
            "Hold the appointment — Friday 27 at 10:00",
        ),
    ],
)
def test_an_english_promise_becomes_an_imperative(said: str, action: str) -> None:
    assert worded(said, "en") == action


def test_a_name_or_a_greeting_is_no_call_to_make() -> None:
    said = "Me llamo Camilo, te llamo de Nube Contable; te envío la propuesta mañana."
    assert worded(said) == "Enviar propuesta — martes 24"


def test_a_call_promise_names_day_time_and_purpose() -> None:
    said = "¿Le parece si la llamo el viernes a las 5 de la tarde para saber qué decidieron?"
    assert worded(said, kind="call") == (
        "Llamar el viernes 27 a las 17:00 para saber qué decidieron"
    )


def test_a_day_two_weeks_away_is_named_with_its_month() -> None:
    assert worded("Le envío el contrato el 15 de diciembre.") == (
        "Enviar contrato — martes 15 de diciembre"
    )


def test_the_customers_own_promise_is_something_to_wait_for() -> None:
    said = "Yo les envío las fotos del techo mañana."
    assert worded(said, by_customer=True) == "Esperar fotos del techo del cliente — martes 24"
