"""Prompt templates: both languages fill from the same values; the system prompt is built from
the customer's context."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import prompts
from agent.prompt import system_prompt_text

PLACEHOLDER = re.compile(r"{(\w+)}")
CONTEXT = {
    "name": "Ana",
    "profile": {"budget": "500 mil al mes"},
    "last_call": {"date": "2026-11-20", "summary": "Quiere paneles en Chía.", "sentiment": None},
    "topics": ["precio", "instalación"],
    "pending_questions": ["¿La instalación incluye el inversor?"],
    "agreed_next_steps": ["Te envío la cotización el jueves por WhatsApp."],
    "objections": [],
    "next_actions": [
        {
            "id": 7,
            "type": "follow_up",
            "description": "Enviar cotización",
            "due": "2026-11-26T15:00:00+00:00",
        }
    ],
    "recent_messages": [{"role": "human", "text": "Hola Ana, soy Laura del equipo."}],
}


@pytest.mark.parametrize("name", ["replies", "channel_styles"])
def test_spanish_and_english_catalogues_have_the_same_keys_and_placeholders(name):
    es, en = prompts.catalogue(name, "es"), prompts.catalogue(name, "en")
    assert set(es) == set(en)
    for key in es:
        assert set(PLACEHOLDER.findall(es[key])) == set(PLACEHOLDER.findall(en[key])), key


@pytest.mark.parametrize("name", ["system", "analysis", "followup"])
def test_spanish_and_english_templates_have_the_same_placeholders(name):
    es, en = prompts.load(name, "es"), prompts.load(name, "en")
    assert set(PLACEHOLDER.findall(es)) == set(PLACEHOLDER.findall(en))


def test_a_missing_value_is_an_error_not_a_blank():
    with pytest.raises(prompts.MissingPlaceholder, match="when"):
        prompts.message("callback", "es")


def test_the_escalation_acknowledgement_says_a_person_takes_over():
    assert prompts.message("escalated", "es").startswith("Te comunico con una persona")


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_system_prompt_is_built_from_the_context(language):
    now = datetime(2026, 11, 26, 9, 30, tzinfo=ZoneInfo("America/Bogota"))
    text = system_prompt_text(
        CONTEXT, channel="whatsapp", language=language, timezone="America/Bogota", now=now
    )
    for fact in (
        "Quiere paneles en Chía.",
        "¿La instalación incluye el inversor?",
        "Te envío la cotización el jueves por WhatsApp.",
        "500 mil al mes",
        "[id 7] follow_up: Enviar cotización",
        "soy Laura del equipo",
    ):
        assert fact in text
    assert ("jueves 26 de noviembre de 2026, 09:30" if language == "es" else "Thursday") in text
    assert "{" not in text.split("\n")[0]


def test_the_channel_sets_the_style():
    voice = system_prompt_text({}, channel="voice", language="es", timezone="America/Bogota")
    whatsapp = system_prompt_text({}, channel="whatsapp", language="es", timezone="America/Bogota")
    assert "sin listas" in voice and "teléfono" in voice
    assert "sin markdown" in whatsapp and "Objeciones: —" in whatsapp
