"""Danger reported in a message (fire, electricity, gas, water, a body hurt, a break-in) reaches a
person; a question about a product that names such things does not.

tests/agent/data/danger.jsonl is a labelled set written apart from the prototypes of
agent/rules/danger.jsonl, in Spanish and English; `MIN_MARGIN` was measured on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.rules.danger import harm_words, reports_danger
from agent.rules.intents import classify, fold
from agent.rules.nearest import IntentIndex
from agent.rules.policy import first_step

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "danger.jsonl").read_text().splitlines()
    if line
]


@pytest.fixture(scope="module")
def index(embeddings):
    return IntentIndex(embeddings)


def test_labelled_set_is_bilingual_with_both_labels():
    for language in ("es", "en"):
        labels = {c["danger"] for c in CASES if c["language"] == language}
        assert labels == {True, False}


def test_danger_reports_are_read_and_product_questions_are_not(index):
    wrong = [
        c["text"]
        for c in CASES
        if reports_danger(c["text"], fold(c["text"]), index.similarities) != c["danger"]
    ]
    assert not wrong


def test_a_danger_report_escalates_with_high_priority(index):
    text = "la estufa que revisaron está soltando chispas y huele a quemado"
    reading = classify(text, index=index)
    assert reading.alarm == "danger"
    calls = first_step(reading, text, [], "es")
    assert calls[0]["name"] == "escalate_to_human" and calls[0]["args"]["priority"] == "high"


@pytest.mark.parametrize(
    "text",
    [
        "¿el kit trae detector de humo?",
        "Do you install fire alarms?",
        "¿La instalación incluye protección contra sobrecalentamiento?",
        "does the laser hurt?",
    ],
)
def test_a_harm_word_in_a_question_or_a_product_name_is_not_a_report(text: str) -> None:
    assert harm_words(fold(text)) == []


def test_asking_whether_it_is_worrying_is_a_report() -> None:
    assert harm_words(fold("¿Es normal que el cargador eche humo?"))
    assert harm_words(fold("My skin is bleeding a bit. Should I be worried?"))
