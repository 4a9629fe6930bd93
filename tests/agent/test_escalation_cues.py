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


@pytest.mark.parametrize(
    "text",
    [
        "¿cuánto tiempo tengo para poner la demanda contra mi ex jefe?",
        "how long do I have to file a lawsuit against my landlord?",
        "¿ustedes llevan casos de abogado laboralista?",
        "me despidieron sin pagarme y quiero demandar a mi empresa",
        "I want to sue my landlord for the deposit",
    ],
)
def test_the_customers_own_case_asked_about_is_not_a_legal_threat(text: str) -> None:
    reading = classify(text)
    assert reading.alarm is None and reading.intent not in ("anger", "human")


@pytest.mark.parametrize(
    "text",
    [
        "si no me devuelven el depósito voy a poner una demanda",
        "¿quieren que los demande? porque lo voy a hacer",
        "Fine, I'll see you in court, my lawyer is on it",
        "do you want me to report you to the ombudsman?",
        "los voy a demandar a ustedes y a mi banco",
    ],
)
def test_a_legal_step_said_or_aimed_at_us_is_one(text: str) -> None:
    assert alarm(text) == "legal"


@pytest.mark.parametrize(
    "text",
    [
        "necesito hablar con la licenciada Ortega hoy",
        "can I speak to Dr Mendez please",
        "no con un bot, pásenme con alguien",
        "I don't want a chatbot, not a bot, a real human",
        "we need someone here right now, the whole network is down",
        "necesito a alguien ya mismo",
    ],
)
def test_a_person_asked_by_name_or_instead_of_a_bot_is_asked_for(text: str) -> None:
    assert classify(text).intent == "human"


def test_a_person_asked_for_with_a_day_is_not_booked() -> None:
    text = "quiero hablar con la doctora Ríos en persona, no con un robot, mañana firmo"
    calls = first_step(classify(text), text, [], "es")
    assert [c["name"] for c in calls] == ["escalate_to_human"]


@pytest.mark.parametrize(
    ("text", "human"),
    [
        ("¿me pasa con Carolina? ella lleva mi caso", True),
        ("Can you put me through to Kevin?", True),
        ("quisiera hablar con el abogado que lleva mi caso", True),
        ("I'll talk to Sarah and get back to you", False),
        ("lo hablo con mi esposa y te aviso", False),
        ("hablé con Marta ayer y me dijo que sí", False),
    ],
)
def test_a_person_asked_by_name_is_read_on_the_words_that_ask(text: str, human: bool) -> None:
    assert (classify(text).intent == "human") is human
