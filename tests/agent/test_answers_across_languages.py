"""An English question about a Spanish call with no word in common (#17 item 2), through the
real graph and the local sentence embeddings: words meet by meaning across languages, and a
yes/no question is answered "Yes"/"No" in the customer's language before the call's quote."""

from __future__ import annotations

import pytest

from agent import run_turn
from agent.rules.answers import yes_no_leads
from tests.agent.conftest import stored_call

# Written for this test: a made-up appliance shop's call, in Spanish.
SHOP_TURNS = [
    ("agent", "Buenas tardes, ¿don Aurelio? Le llamo de Electro Hogar por su lavadora."),
    ("customer", "Sí, la lavadora dejó de centrifugar."),
    ("agent", "El técnico la revisa el jueves 11 a las 10 de la mañana, sin costo por garantía."),
    ("customer", "¿Tengo que tener algo a mano?"),
    ("agent", "Sí, tenga la factura de compra, porque sin ella no aplica la garantía."),
    ("customer", "Listo, gracias."),
]


@pytest.fixture
async def shop_customer(memory):
    return await stored_call(memory, "conv_shop_1", "+573105550125", SHOP_TURNS, "Aurelio")


async def test_an_english_yes_no_question_meets_the_spanish_answer(agent, shop_customer):
    result = await run_turn(
        agent, shop_customer.id, "whatsapp", "Quick one: do I need the invoice for the warranty?"
    )
    reply = result.reply or ""
    assert reply.startswith("From what we discussed")  # wholly in English around the quote
    assert "Yes: we told you «Sí, tenga la factura de compra" in reply


@pytest.mark.parametrize(
    "question, line, lead",
    [
        ("do I need to bring my lease?", "Agente: Sí, y traiga su contrato.", "Yes"),
        ("¿incluye la instalación?", "Agente: No, la instalación se cobra aparte.", "No"),
        ("isn't the visit free?", "Agent: No, the visit is 30 dollars.", "No"),
        ("¿cuánto cuesta la instalación?", "Agente: Sí, la instalación son 200 mil.", None),
        ("¿incluye la instalación?", "Agente: La instalación se cobra aparte.", None),
    ],
)
def test_a_yes_or_no_is_said_only_when_asked_and_given(question, line, lead):
    language = "en" if question.isascii() else "es"
    assert yes_no_leads(question, [line], language).get(line) == lead


def test_words_meet_by_meaning_only_across_languages(embeddings):
    from agent.models import intent_index
    from agent.rules.answers import Question, word_meaning

    similar = intent_index(embeddings).similarities
    english = Question("should I bring the lease and the receipts?")
    line = "Agente: Sí, traiga el contrato de arrendamiento y los recibos de renta."
    # "bring" and "traiga" are one term already (synonyms.jsonl); the nouns share no stem.
    assert not {"lease", "recei"} & english.matched(line)[0]  # no embeddings at hand
    with word_meaning(similar, [line]):
        found = english.matched(line)[0]
    assert {"leas", "recei"} <= found, found  # lease ~ arrendamiento, receipts ~ recibos
    # Within one language related words are as close as translations: they do not count.
    spanish = Question("¿cuánto cuesta el mantenimiento anual?")
    other = "Agente: Los paneles tienen 25 años de garantía."
    with word_meaning(similar, [other]):
        assert not spanish.matched(other)[0]
