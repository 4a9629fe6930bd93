"""Answers by the kind of fact asked, on a stored call through the real graph (#17 item 2):
a verb's other forms meet, a price is a money figure (not a length of time), a Spanish
question stays Spanish, and "email me X at <address>" has its next action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent import run_turn
from agent.analysis import analyze_and_store_call
from agent.language import detect_language
from agent.rules import answers
from memory import CallRecord, CallTurn, list_next_actions, save_call

VET_TURNS = [
    ("agent", "Buenas tardes, ¿hablo con Lupita? Le llamo de Veterinaria Huellitas."),
    ("customer", "Sí, soy yo. Es por la esterilización de mi gata, la Canela."),
    ("agent", "Para la cirugía la Canela tiene que estar en ayunas 12 horas, sin comida."),
    ("customer", "Ok. ¿Y cuánto me va a salir? Yo traigo como mil pesos."),
    ("agent", "La esterilización cuesta 1,450 pesos con la anestesia incluida."),
    ("customer", "Ah, bueno. ¿Y se la puedo llevar el miércoles?"),
    ("agent", "El miércoles la recibimos a las 8:30 de la mañana y la recoge a las 5 de la tarde."),
    ("customer", "Sale, gracias."),
]


@pytest.fixture
async def vet_customer(memory):
    call = CallRecord(
        conversation_id="conv_vet_1",
        phone="+525512000199",
        turns=[CallTurn(r, t, i * 6.0) for i, (r, t) in enumerate(VET_TURNS)],
        started_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
        customer_name="Lupita",
    )
    return (await save_call(memory, call)).customer


async def test_another_form_of_the_verb_finds_the_agreed_time(agent, vet_customer):
    # "llevo" and the call's "llevar" share no five first letters, only their stem.
    result = await run_turn(agent, vet_customer.id, "whatsapp", "oiga y a q hora la llevo?")
    assert "8:30" in (result.reply or "")
    assert "no lo hemos hablado" not in (result.reply or "")


async def test_a_price_is_answered_by_a_money_figure_not_by_a_length_of_time(agent, vet_customer):
    result = await run_turn(agent, vet_customer.id, "whatsapp", "¿Cuánto cuesta la operación?")
    reply = result.reply or ""
    assert "1,450 pesos" in reply
    assert "12 horas" not in reply


async def test_a_spanish_question_with_the_preposition_a_is_answered_in_spanish(
    agent, vet_customer
):
    assert detect_language("a que hora me van a llamar?") == "es"
    result = await run_turn(agent, vet_customer.id, "whatsapp", "a que hora la recojo?")
    assert "Según lo que hablamos" in (result.reply or "")


async def test_email_me_a_document_at_an_address_saves_it_and_creates_the_send(agent, vet_customer):
    text = "pls email me the invoice at lupe@huellas.mx"
    await run_turn(agent, vet_customer.id, "whatsapp", text)
    actions = [a.description for a in await list_next_actions(agent.memory, vet_customer.id)]
    assert any("invoice" in d and "lupe@huellas.mx" in d for d in actions), actions


async def test_a_price_the_call_gave_is_answered_not_logged_as_a_quote_request(agent, vet_customer):
    result = await run_turn(agent, vet_customer.id, "whatsapp", "¿Cuánto cuesta la operación?")
    assert "update_next_action" not in [c["name"] for c in result.tool_calls]
    assert "cotización" not in (result.reply or "")


async def test_a_follow_up_made_of_filler_words_is_answered_by_the_kind_it_asks(
    agent, vet_customer
):
    # "entonces", "siempre sí" say how it is asked (question_noise.jsonl): the amount is left.
    text = "y entonces q siempre si son los mil o cuanto sale"
    result = await run_turn(agent, vet_customer.id, "whatsapp", text)
    assert "1,450 pesos" in (result.reply or "")
    assert "traigo como mil" not in (result.reply or "")


COURSE_TURNS = [
    ("agent", "Hola Daniela, te habla Felipe, del Instituto Babel, por el curso de inglés."),
    ("customer", "¿Cuánto vale?"),
    ("agent", "El curso completo vale 1 millón 850 mil pesos; antes del 15 de enero, 10% menos."),
    ("customer", "¿Y cuándo empieza?"),
    ("agent", "El próximo grupo empieza el lunes 1 de febrero."),
    ("customer", "Listo, gracias."),
]


@pytest.fixture
async def course_customer(memory):
    call = CallRecord(
        conversation_id="conv_course_1",
        phone="+573015550177",
        turns=[CallTurn(r, t, i * 6.0) for i, (r, t) in enumerate(COURSE_TURNS)],
        started_at=datetime(2026, 11, 24, 23, 0, tzinfo=UTC),
        customer_name="Daniela",
    )
    return (await save_call(memory, call)).customer


async def test_the_calls_answer_to_the_same_question_wins_over_a_line_on_the_topic(
    agent, course_customer
):
    # Both lines hold a word of the question and a date; only one answers "¿cuándo empieza?".
    result = await run_turn(agent, course_customer.id, "whatsapp", "¿cuándo empieza el curso?")
    reply = result.reply or ""
    assert "1 de febrero" in reply
    assert "15 de enero" not in reply


async def test_the_customers_own_earlier_question_is_no_answer(agent, course_customer):
    await run_turn(agent, course_customer.id, "whatsapp", "¿cuándo empieza el curso?")
    result = await run_turn(
        agent, course_customer.id, "whatsapp", "¿me repites la fecha de inicio que me dijiste?"
    )
    reply = result.reply or ""
    assert "febrero" in reply
    assert "tú dijiste" not in reply


INSURANCE_TURNS = [
    ("agent", "Buenos días, Marta. Le llamo de Clínica Dental Sonrisa por la ortodoncia."),
    ("customer", "Sí, dígame."),
    ("agent", "La ortodoncia invisible son 3.200 euros, en 12 cuotas sin intereses."),
    ("customer", "Vale. ¿Lo cubre mi seguro de Sanitas?"),
    ("agent", "Eso lo verifico con una asesora y le digo."),
    ("customer", "Muy bien, gracias."),
]


@pytest.fixture
async def analysed_dental_customer(memory):
    call = CallRecord(
        conversation_id="conv_dental_1",
        phone="+34611000599",
        turns=[CallTurn(r, t, i * 6.0) for i, (r, t) in enumerate(INSURANCE_TURNS)],
        started_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        customer_name="Marta",
    )
    saved = await save_call(memory, call)
    await analyze_and_store_call(memory, saved, call)
    return saved.customer


async def test_the_calls_pending_question_is_matched_by_meaning(agent, analysed_dental_customer):
    # No word in common with "¿Lo cubre mi seguro de Sanitas?": the embeddings match it.
    text = "¿y al final mi aseguradora me lo paga o no?"
    result = await run_turn(agent, analysed_dental_customer.id, "whatsapp", text)
    reply = result.reply or ""
    assert "Sanitas" in reply and "verificando" in reply
    assert "cotización" not in reply and "No tengo ese dato" not in reply


async def test_a_question_about_a_pending_one_gets_its_action_not_a_quote_request(
    agent, analysed_dental_customer
):
    text = "¿y al final mi aseguradora me lo paga o no?"
    await run_turn(agent, analysed_dental_customer.id, "whatsapp", text)
    actions = [
        a.description for a in await list_next_actions(agent.memory, analysed_dental_customer.id)
    ]
    assert any("Sanitas" in d for d in actions), actions
    assert not any("cotización" in d for d in actions), actions


async def test_a_typo_in_the_word_asked_about_still_finds_the_answer(agent, vet_customer):
    text = "cuanto cuesta la estirilizacion?"  # one letter off the call's "esterilización"
    result = await run_turn(agent, vet_customer.id, "whatsapp", text)
    assert "1,450 pesos" in (result.reply or "")


def test_a_prefix_two_synonym_groups_share_stands_for_neither() -> None:
    # "insta…" begins both "instalments" (cuotas) and "instalación": the installation is no
    # instalment.
    assert answers.terms("instalamos") == answers.terms("instalación")
    assert answers.terms("instalamos") != answers.terms("cuotas")
    assert answers.terms("instalments") == answers.terms("cuotas")


def test_an_english_question_meets_other_forms_of_its_words() -> None:
    # "move" and "moving" share no five first letters; their English stem is one.
    question = answers.Question("when is the move?")
    found, kinds = question.matched("Agent: We are moving you on Saturday at 8.")
    assert found == question.terms and kinds == {"day"}
