"""Options we offered, read from our own words: the one a bare answer names, with the
details of the offer, and the cheaper one a price objection asks for."""

from __future__ import annotations

from agent.rules.offers import asks_cheaper, cheapest_offer, chosen_option


def test_a_bare_answer_is_restated_as_the_option_we_offered_with_its_details() -> None:
    ours = [
        "¿Prefiere el plan corto a 6 meses o el largo a 24?",
        "Le ofrecemos 6 cuotas de 90.000 o 24 cuotas de 27.500.",
    ]
    assert chosen_option("largo", ours) == "el largo a 24 (24 cuotas de 27.500)"


def test_an_option_without_figures_is_restated_as_we_worded_it() -> None:
    assert chosen_option("Mañana", ["¿La entrega la quiere hoy o mañana?"]) == "mañana"
    assert chosen_option("baja", ["Quedó en la opción baja."]) is None  # nothing offered


def test_the_cheaper_option_is_the_lowest_price_we_named() -> None:
    ours = [
        "The full service, every three months, is 480 dollars a year.",
        "The light service, twice a year, is 260 dollars a year.",
        "We can come on Tuesday at 10.",
    ]
    assert asks_cheaper("that's a lot, isn't there anything cheaper?")
    assert asks_cheaper("¿no tienen algo más barato?")
    assert not asks_cheaper("¿cuánto cuesta el plan?")
    assert cheapest_offer(ours) == ours[1]
    assert cheapest_offer(ours[:1]) is None  # one price: nothing cheaper was offered
