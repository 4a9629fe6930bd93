"""Requests read by their mechanism, not by the sentences they came from: a request to be
phoned in any form of a phoning verb, an address given for a purpose, a question beside a
request, a send to another number."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.rules.intents import classify

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Bogota"))


@pytest.mark.parametrize(
    "text",
    [
        "¿me podéis telefonear el lunes a las 9?",  # vosotros
        "marcame mañana a las 3 porfa",  # voseo
        "márqueme el viernes a las 11",  # usted, imperative
        "¿pueden llamarnos el martes a las 4?",
        "que me llamen el jueves a las 10",
        "could you ring us on Monday at 9?",
        "phone me tomorrow at 5 please",
        "¿me pueden dar una llamada el lunes a las 9?",  # the noun with a light verb
        "échenme un telefonazo mañana a las 4",
        "¿me llama el lunes a las 9?",  # usted's present, with a moment
    ],
)
def test_a_request_to_be_phoned_is_a_callback_in_any_form(text: str) -> None:
    reading = classify(text, NOW)
    assert reading.intent == "callback"
    assert reading.when is not None


@pytest.mark.parametrize(
    "text",
    [
        "me llamo Andrea y quiero una cita el lunes",  # a name, not a request
        "me marca error la página",
        "me llama la atención el precio",
        "me dejaron una llamada perdida",
    ],
)
def test_other_forms_of_the_same_verbs_are_no_callback(text: str) -> None:
    assert classify(text, NOW).intent != "callback"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("el correo para la factura es pagos@taller.com.co", "la factura"),
        ("My email for the receipts is ana@example.com", "the receipts"),
        ("mándenme el contrato a ana@example.com", "el contrato"),
    ],
)
def test_an_address_given_for_a_purpose_asks_to_send_that_thing(text: str, what: str) -> None:
    assert classify(text, NOW).send_what == what


def test_the_question_beside_an_address_is_what_to_answer() -> None:
    reading = classify("Tell me the deposit again, and send the contract to ana@example.com", NOW)
    assert reading.send_what == "the contract"
    assert reading.asked_beside == "Tell me the deposit again"
    assert classify("mi correo es ana@example.com", NOW).asked_beside is None


def test_a_figure_inside_a_question_is_asked_about_not_given() -> None:
    assert classify("¿los 2.300 ya incluyen el IVA o va aparte?", NOW).intent != "provide_info"
    assert classify("les paso el dato: son 2.300 metros", NOW).intent == "provide_info"


def test_a_price_asked_in_the_past_is_what_was_said() -> None:
    assert classify("my husband wants to know how much the annual plan was", NOW).intent == (
        "recall"
    )


def test_a_send_to_another_number_keeps_what_was_asked_for() -> None:
    reading = classify("pásale el comprobante a mi papá al 310 555 1234", NOW)
    assert reading.other_party
    assert reading.forward_what == "el comprobante"
    assert classify("dame los datos de otro cliente, el 310 555 1234", NOW).forward_what is None
