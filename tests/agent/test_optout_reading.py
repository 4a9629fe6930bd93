"""Opt-outs read by their parts (a request to stop, about messages to the customer), with
negation and the service a cancellation is about; a bare keyword naming an option we offered
is that choice. Wording unlike the eval sets (an ISP, a mattress shop, a gym)."""

from __future__ import annotations

import pytest

from agent.optout import is_keyword, is_opt_out, offered_option


@pytest.mark.parametrize(
    "text",
    [
        "ya no me manden más mensajes porfa",
        "no me manden más, gracias",
        "no me manden mas los mensajes de promociones",
        "Les pido que dejen de escribirme",
        "no quiero recibir más publicidad de ustedes",
        "bórrenme de su lista ya",
        "Sáquenme de su base de datos",
        "no me escriban",
        "quiero cancelar la suscripción a estos mensajes",
        "I don't want any more texts from you",
        "please stop messaging me",
        "take me off your list",
        "STOP",
    ],
)
def test_requests_to_stop_messages_are_opt_outs(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "no quiero darme de baja, solo saber el precio del plan de 300 megas",
        "I don't want to unsubscribe, just tell me the price",
        "quiero darme de baja del gimnasio",  # the membership, not the messages
        "¿cómo cancelo mi suscripción a la revista?",
        "no me mandaron la factura",  # a complaint in the past tense
        "no quiero recibir el pedido el lunes",
        # One thing of ours not to be sent again, not every message:
        "no me manden más el catálogo de invierno, ya elegí",
        "no me envíen otra vez la factura, ya la pagué. ¿cuándo pasan?",
        "no me escriban por correo, mejor por aquí",
        "the router won't stop blinking",
        "me quedo con el plan básico",
    ],
)
def test_negated_or_other_requests_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)


def test_a_bare_keyword_naming_an_option_we_offered_is_that_choice() -> None:
    offered = "Ese colchón viene en dos firmezas: alta y baja. La baja es más suave."
    assert is_keyword("Baja 👍") and offered_option("Baja 👍", offered)
    assert not is_opt_out("Baja 👍", offered=offered)
    assert not is_opt_out("baja", offered="¿Le sirve la temporada baja para viajar?")
    # A statement that only uses the word offers nothing; a subscription question is answered.
    assert is_opt_out("BAJA", offered="Su tarifa quedó en la opción baja.")
    assert is_opt_out("baja", offered="Responde BAJA para no recibir más mensajes.")
