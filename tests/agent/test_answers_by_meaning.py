"""Answers to questions asked in other words than the call's (#17 item 2), on a stored call
through the real graph: the kind of fact asked finds the line that states one."""

from __future__ import annotations

import pytest

from agent import run_turn
from agent.rules import answers
from agent.rules.entities import clock_times, question_kinds, shows
from agent.rules.intents import fold
from memory import list_next_actions
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


@pytest.mark.parametrize(
    "question",
    ["en cuantos dias puedo pasar a buscarlos?", "cuanto tiempo les lleva el trabajo?"],
)
async def test_a_fact_found_by_its_kind_alone_is_said_as_the_closest_and_checked(
    agent, cobbler_customer, question
):
    result = await run_turn(agent, cobbler_customer.id, "whatsapp", question)
    reply = result.reply or ""
    assert "cinco días hábiles" in reply
    assert "lo más cercano a tu pregunta" in reply
    actions = [a.description for a in await list_next_actions(agent.memory, cobbler_customer.id)]
    assert any(question[:20] in a for a in actions)


async def test_a_fact_found_by_its_words_is_not_hedged(agent, cobbler_customer):
    result = await run_turn(
        agent, cobbler_customer.id, "whatsapp", "cuanto tarda el cambio de suela?"
    )
    reply = result.reply or ""
    assert "cinco días hábiles" in reply
    assert "lo más cercano" not in reply


async def test_a_length_of_time_the_call_never_stated_quotes_no_other_line(memory, agent):
    turns = [t for t in COBBLER_TURNS if "tarda" not in t[1]]
    customer = await stored_call(memory, "conv_cobbler_2", "+5491155501235", turns, "Rocío")
    result = await run_turn(agent, customer.id, "whatsapp", "y cuanto se demoran con eso?")
    assert "«" not in (result.reply or "")  # not the price, nor the greeting


@pytest.mark.parametrize(
    "line",
    [
        "de ocho de la mañana a cinco y media de la tarde",
        "la fiesta empieza a las ocho",
        "doors open at seven pm",
    ],
)
def test_an_hour_said_in_words_is_a_clock_time(line):
    assert shows("time", fold(line))


def test_a_figure_of_people_is_not_a_clock_time():
    assert not shows("time", fold("hasta las dos personas por habitación"))


def test_a_length_of_working_days_is_a_length_of_time():
    assert shows("duration", fold("Fitting is included, about 8 working days."))


@pytest.mark.parametrize(
    "question", ["¿y llega en la mañana o en la tarde?", "is it morning or afternoon?"]
)
def test_one_part_of_the_day_or_another_asks_a_clock_time(question):
    assert "time" in question_kinds(fold(question))


async def test_a_return_asked_as_volver_is_answered_by_the_call_s_regreso(memory, agent):
    turns = [
        ("agent", "Hola Sofía, le llama Viajes del Lago por la excursión del colegio."),
        ("customer", "Hola, sí."),
        ("agent", "El bus sale a las 6 de la mañana desde la plaza."),
        ("customer", "Bien."),
        ("agent", "El regreso es a las 9 de la noche."),
    ]
    customer = await stored_call(memory, "conv_lago_1", "+50255501234", turns, "Sofía")
    result = await run_turn(agent, customer.id, "whatsapp", "a que hora volvemos?")
    assert "9 de la noche" in (result.reply or "")


async def test_one_line_stating_both_facts_asked_answers_both_questions_alone(memory, agent):
    turns = [
        ("agent", "Hola Marta, le llamo del Gimnasio Roble por su plan."),
        ("customer", "Hola, sí."),
        ("agent", "La cuota se cobra cada mes y es de 150 mil pesos."),
        ("customer", "Vale."),
        ("agent", "La cuota de inscripción es de 50 mil pesos, una sola vez."),
    ]
    customer = await stored_call(memory, "conv_roble_1", "+573105550130", turns, "Marta")
    text = "cada cuanto se cobra la cuota y de cuanto es la cuota?"
    reply = (await run_turn(agent, customer.id, "whatsapp", text)).reply or ""
    assert "150 mil" in reply
    assert "inscripción" not in reply  # no second line for the second question


@pytest.mark.parametrize(
    ("line", "times"),
    [
        ("Las puertas abren a las 19.", ["19:00"]),
        ("Regreso aproximado a las 8 de la noche.", ["20:00"]),
        ("Doors at 7 pm, show at 8:30 p.m.", ["19:00", "20:30"]),
        ("El técnico pasa a las 10.", []),  # morning or evening: it does not say
        ("Son 15 personas, a las 3 cuadras.", []),
    ],
)
def test_clock_times_said_in_words_are_read_on_the_24_hour_clock(line, times):
    assert clock_times(fold(line)) == times


async def test_a_time_asked_is_also_given_on_the_24_hour_clock(memory, agent):
    turns = [
        ("agent", "Hola Agustina, te llamo de Boletería Sur por tus entradas."),
        ("customer", "¡Hola!"),
        ("agent", "El recital es el sábado. Las puertas abren a las 19."),
    ]
    customer = await stored_call(memory, "conv_sur_1", "+59899555123", turns, "Agustina")
    result = await run_turn(agent, customer.id, "whatsapp", "a que hora abren las puertas?")
    assert "(19:00)" in (result.reply or "")


async def test_a_send_request_with_a_question_never_discussed_says_so_and_checks_it(memory, agent):
    customer = await stored_call(memory, "conv_cobbler_3", "+5491155501236", COBBLER_TURNS, "Rocío")
    text = "mandame las fotos a rocio@mail.com, y recordame que garantia tiene la suela"
    result = await run_turn(agent, customer.id, "whatsapp", text)
    reply = result.reply or ""
    assert "rocio@mail.com" in reply
    assert "no lo hemos hablado" in reply
    actions = [a.description for a in await list_next_actions(agent.memory, customer.id)]
    assert any("garantia" in d for d in actions), actions


def test_a_word_of_the_business_name_is_not_what_the_call_said_about_it():
    greeting = "Agente: Hola Carolina, le habla Sonido Fiesta Total por los quince de su hija."
    assert not answers.Question("hasta que hora va la fiesta?").matched(greeting)[0]
    # Written as the name, it is the business asked about.
    assert answers.Question("¿Sonido Fiesta Total toca el vals?").matched(greeting)[0]


def test_a_name_asked_in_other_words_is_answered_by_the_line_naming_someone():
    hit = {
        "text": "Agente: El técnico revisa el equipo el jueves a las 10.\n"
        "Cliente: Perfecto.\n"
        "Agente: La persona asignada se llama Julián Ortiz y lleva la llave de paso.",
        "channel": "call",
        "date": "2026-11-30",
        "similarity": 0.1,
    }
    assert "name" in answers.Question("y como se llama el muchacho q viene?").kinds
    _, lines = answers.answer([hit], "y como se llama el muchacho q viene?")
    assert lines and "Julián Ortiz" in lines[0]


@pytest.mark.parametrize(
    "question",
    ["recuérdame cuánto era lo de la reparación", "se me olvidó cuánto me dijeron q era"],
)
async def test_a_figure_asked_back_in_other_words_is_the_closest_figure_we_stated(
    agent, cobbler_customer, question
):
    # The customer asks what was said on the call: a figure we stated is the likeliest answer,
    # said as the closest one and checked by a person.
    result = await run_turn(agent, cobbler_customer.id, "whatsapp", question)
    reply = result.reply or ""
    assert "18 mil pesos" in reply
    assert "lo más cercano a tu pregunta" in reply


async def test_a_price_of_something_new_is_not_answered_with_another_figure(
    agent, cobbler_customer
):
    # Not asked back: the price of a service nobody spoke of is not the sole's price.
    result = await run_turn(agent, cobbler_customer.id, "whatsapp", "¿y cuánto cuesta teñirlos?")
    assert "18 mil" not in (result.reply or "")


async def test_our_check_the_customer_answered_no_gives_way_to_our_correction(memory, agent):
    # Written for this test: a uniform shop's call where our agent checked a size and was told No.
    turns = [
        ("agent", "Hola Pilar, te llamo de Uniformes Albor por el pedido de tu hijo."),
        ("customer", "Hola, sí."),
        ("agent", "Tengo anotada la chaqueta en talla 10, ¿es correcto?"),
        ("customer", "No, no, es talla 12, creció mucho este año."),
        ("agent", "Perfecto, corrijo: chaqueta talla 12, lista el jueves."),
        ("customer", "Gracias."),
    ]
    customer = await stored_call(memory, "conv_uniform_1", "+34612345099", turns, "Pilar")
    result = await run_turn(agent, customer.id, "whatsapp", "al final era la 10 o la otra?")
    reply = result.reply or ""
    assert "talla 12" in reply
    assert "¿es correcto?" not in reply
