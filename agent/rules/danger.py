"""Danger reported in a customer message: fire, electricity, gas or water let loose, a body
hurt, systems or premises broken into. A person must see it, whatever else the message asks.

Three readings together (data file `danger.jsonl`), so that ordinary questions about such things
("¿el kit trae detector de humo?", "does the cleaning hurt?") do not escalate:
- a harm word, per language, once the words naming a product or a protection are set aside
  ("alarma contra incendios", "smoke detector", "antivirus");
- in a sentence that reports something: not a question, unless it asks whether what it
  reports is normal or worrying ("¿es normal que salga humo…?", "should I be worried?");
- and, unless the customer asks whether it is worrying, when sentence embeddings are at hand,
  a message closer in meaning to the danger
  prototypes than to the calm ones (a product question, a thank-you, a child off sick) by at
  least `MIN_MARGIN`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

# Measured on tests/agent/data/danger.jsonl and the tuning turns (2026-12-03): every danger
# report was at +0.07 or more, the calm messages with a harm word in a report ("se me quemó el
# arroz jaja", "the pizza was really hot") at +0.00 or less.
MIN_MARGIN = 0.035
Similarities = Callable[[str, list[str]], list[float]]

_SENTENCE = re.compile(r"¿?[^.!?¿\n]+[.!?\n]*")
_ASKS = re.compile(
    r"^\W*(and |so |but )?(do|does|did|is|are|was|were|can|could|will|would|should|have|has"
    r"|what|how|which|when|where|why|who)\b"
)
# A question about what the customer reports: it happened, is it normal, should they worry.
_WORRY = re.compile(
    r"\b(es normal|sera normal|debo preocupar\w*|me (tengo|debo) que preocupar"
    r"|is (it|this|that) normal|should i (be )?worr\w*|should i be concerned)\b"
)
# After a report, "¿es peligroso?" fears what was said; alone it may be about anything.
_FEAR = re.compile(r"\b(es peligroso|sera peligroso|is (it|this|that) (dangerous|safe))\b")


@cache
def _rows() -> list[dict[str, object]]:
    lines = resources.files("agent.rules").joinpath("danger.jsonl").read_text("utf-8")
    return [json.loads(line) for line in lines.splitlines() if line.strip()]


@cache
def _patterns(kind: str) -> list[re.Pattern[str]]:
    rows = [r for r in _rows() if r["kind"] == kind]
    return [re.compile(str(p)) for r in rows for p in r["patterns"]]  # type: ignore[attr-defined]


@cache
def _texts(kind: str) -> list[str]:
    return [str(r["text"]) for r in _rows() if r["kind"] == kind]


def harm_words(folded: str) -> list[tuple[str, bool]]:
    """The harm words of reporting sentences in accent-folded text (products set aside), each
    with whether the message asks if it is worrying."""
    for product in _patterns("product"):
        folded = product.sub(" ", folded)
    # "Hace chispas cuando lo conecto, ¿es peligroso?": the question is about the report.
    asks_normal = bool(_WORRY.search(folded))
    worried = asks_normal or bool(_FEAR.search(folded))
    found = []
    for match in _SENTENCE.finditer(folded):
        sentence = match.group(0)
        asked = "?" in sentence or sentence.startswith("¿") or _ASKS.search(sentence)
        if asked and not asks_normal:
            continue
        found += [(m.group(0), worried) for p in _patterns("words") for m in p.finditer(sentence)]
    return found


def margin(text: str, similarities: Similarities) -> float:
    """How much closer `text` is to the nearest danger prototype than to the nearest calm one."""
    danger, calm = _texts("prototype"), _texts("calm")
    scores = similarities(text, danger + calm)
    return max(scores[: len(danger)]) - max(scores[len(danger) :])


def reports_danger(text: str, folded: str, similarities: Similarities | None = None) -> bool:
    """Whether a message reports a danger (see the module docstring). Without sentence
    embeddings, a harm word in a reporting sentence is enough."""
    found = harm_words(folded)
    if not found:
        return False
    if similarities is None or any(worried for _, worried in found):
        return True  # "¿es normal que salga humo?": the customer already fears it
    return margin(text, similarities) >= MIN_MARGIN
