"""The rules model reads intents and entities right on a labelled Spanish/English set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from agent.language import detect_language
from agent.rules.intents import classify

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "intents.jsonl").read_text().splitlines()
    if line
]


def test_labelled_set_is_large_enough():
    assert len(CASES) >= 60


def test_intent_accuracy_is_at_least_90_percent():
    confusion: Counter[tuple[str, str]] = Counter()
    for case in CASES:
        confusion[(case["intent"], classify(case["text"]).intent)] += 1
    correct = sum(n for (want, got), n in confusion.items() if want == got)
    accuracy = correct / len(CASES)
    mistakes = {f"{w}->{g}": n for (w, g), n in confusion.items() if w != g}
    print(f"\nintent accuracy {accuracy:.3f} on {len(CASES)}; confusions: {mistakes}")
    assert accuracy >= 0.9, mistakes


def test_entities_are_found():
    for case in CASES:
        reading = classify(case["text"])
        if case.get("when"):
            assert reading.when is not None, case["text"]
        if "emails" in case:
            assert reading.emails == case["emails"]
        if case.get("amounts"):
            assert reading.amounts, case["text"]


def test_language_follows_the_customer():
    wrong = [
        c["text"]
        for c in CASES
        if len(c["text"].split()) > 2 and detect_language(c["text"]) != c.get("language", "es")
    ]
    assert len(wrong) <= 3, wrong
