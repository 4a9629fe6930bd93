"""Situations a person must see, by kind (legal, harm, patience run out, money demanded back),
whatever else a message asks; and questions that only mention such words are not them."""

from __future__ import annotations

import pytest

from agent.rules.intents import alarm, classify
from agent.rules.policy import first_step


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("si no me resuelven voy a poner la queja ante Profeco", "legal"),
        ("Ya hablé con mi abogado sobre el depósito del apartamento", "legal"),
        ("I'll be filing a chargeback with my bank", "legal"),
        ("le dieron una dosis equivocada a mi gato y está vomitando", "harm"),
        ("my son got sick after eating the cake", "harm"),
        ("es la cuarta vez que escribo y nada", "exasperation"),
        ("Still no answer after two weeks, this is a joke", "exasperation"),
        ("devuélvanme mi plata, el vuelo lo cancelaron ustedes", "money_back"),
    ],
)
def test_situations_that_need_a_person_are_read_by_kind(text: str, kind: str) -> None:
    assert alarm(text) == kind
    calls = first_step(classify(text), text, [], "es")
    assert calls[0]["name"] == "escalate_to_human" and calls[0]["args"]["priority"] == "high"


@pytest.mark.parametrize(
    "text",
    [
        "¿tienen servicio de emergencia los domingos?",
        "el apartamento queda cerca del hospital?",
        "¿me va a doler la extracción?",
        "¿no puede ser el sábado la mudanza?",
        "soy alérgica al gluten, ¿el pan de centeno tiene?",
        "does the cleaning hurt?",
    ],
)
def test_questions_that_only_mention_such_words_are_not_alarms(text: str) -> None:
    assert alarm(text) is None


def test_a_person_asked_for_by_role_is_a_request_for_a_person() -> None:
    assert classify("quiero que me llame un supervisor").intent == "human"
    assert classify("have a manager call me today").intent == "human"
    # "Se lo tomó" is someone taking a medicine, not a customer accepting an offer.
    assert classify("mi papá se lo tomó anoche").intent != "accept"
