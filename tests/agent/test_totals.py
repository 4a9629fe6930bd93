"""A total asked (#17): the line of ours that states it, or the sum a price per unit and the
counts of the call imply; nothing when it is ambiguous. Calls written for this test (a cabin
rental, a pottery class, a boat trip), unlike the eval sets."""

from __future__ import annotations

import pytest

from agent import run_turn
from agent.rules.totals import asks_total, implied_total
from tests.agent.conftest import stored_call


def _hits(*lines: str) -> list[dict[str, object]]:
    return [{"text": "\n".join(lines), "date": "2026-11-30", "channel": "call", "last_seq": 3}]


def test_a_price_per_night_times_the_nights_is_the_total() -> None:
    hits = _hits(
        "Agente: Le dejo la cabaña del lago, cuatro noches, a 1.250 pesos la noche.",
        "Cliente: Buenísimo.",
    )
    total = implied_total("¿y cuánto me sale todo?", hits, "es")
    assert total is not None and total.amount == "5.000 pesos"
    assert total.reckoning == "4 noches × 1.250 pesos"


def test_two_units_multiply_and_the_question_may_give_a_count() -> None:
    hits = _hits("Agent: Each class is 30 dollars per person, three classes in the course.")
    total = implied_total(
        "what would the whole course come to for both of us, 2 people?", hits, "en"
    )
    assert total is not None and total.amount == "180 dollars"


def test_a_total_we_stated_is_quoted_rather_than_reckoned() -> None:
    hits = _hits(
        "Agente: Son tres noches a 900 pesos la noche.",
        "Agente: Con el desayuno, el total es 3.000 pesos.",
    )
    total = implied_total("cuanto es todo?", hits, "es")
    assert total is not None and total.amount is None
    assert total.lines == ["Agente: Con el desayuno, el total es 3.000 pesos."]


@pytest.mark.parametrize(
    "lines",
    [
        # Two prices per person (two menus): which one is not ours to guess.
        (
            "Agente: El menú A sale 40 dólares por persona y el B 55 dólares por persona.",
            "Agente: Serían 20 personas.",
        ),
        # A price per night and no count of nights.
        ("Agente: La noche sale 90 euros por noche en temporada baja.",),
        # Two counts of nights said (3, then 4): ambiguous.
        ("Agente: Son 3 noches a 80 dólares la noche.", "Cliente: mejor 4 noches"),
    ],
)
def test_nothing_is_reckoned_when_anything_is_ambiguous(lines: tuple[str, ...]) -> None:
    assert implied_total("how much is it in total?", _hits(*lines), "en") is None


def test_only_a_question_asking_a_total_is_one() -> None:
    assert asks_total("¿cuánto me sale todo el viaje?")
    assert asks_total("what would the whole stay come to?")
    assert not asks_total("¿cuánto cuesta la noche?")
    assert not asks_total("¿todo bien con la reserva?")


async def test_the_reckoned_total_is_the_reply_with_the_line_it_rests_on(memory, agent):
    turns = [
        ("agent", "Hola Marta, le llamo de Paseos en Velero Bahía Azul por su reserva."),
        ("customer", "Hola, sí."),
        ("agent", "Quedan tres personas para el paseo del sábado, a 45 mil pesos por persona."),
        ("customer", "Perfecto."),
    ]
    customer = await stored_call(memory, "conv_sail_1", "+573001112233", turns, "Marta")
    result = await run_turn(agent, customer.id, "whatsapp", "y cuanto nos sale todo el paseo?")
    reply = result.reply or ""
    assert "135.000" in reply and "3 personas × 45 mil pesos" in reply
    assert "«Quedan tres personas" in reply


def test_a_sum_of_things_is_not_one_price_times_its_count() -> None:
    # "the plan plus two sessions": the sessions alone would be a wrong total.
    hits = _hits("Agente: El plan mensual vale 139 mil pesos y cada sesión vale 45 mil pesos.")
    assert (
        implied_total("si tomo el plan más dos sesiones, ¿cuánto es en total?", hits, "es") is None
    )


def test_our_own_written_reply_is_no_price_to_reckon_from() -> None:
    hits = [
        {
            "text": "Agente: Según lo que hablamos: «son 3 noches a 80 dólares la noche»",
            "date": "2026-12-01",
            "channel": "whatsapp",
            "last_seq": 2,
        }
    ]
    assert implied_total("how much is it in total?", hits, "en") is None
