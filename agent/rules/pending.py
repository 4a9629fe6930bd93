"""The call's pending questions a customer's message asks about: by the words they share, else
by meaning (sentence embeddings), so "¿mi aseguradora me lo paga?" finds "¿Lo cubre mi seguro
de Sanitas?". Used by the reply and by the step that decides whether a price question is a
quote request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.rules import answers

# Cosine similarities of a text to candidate texts (the memory's sentence embeddings).
Similar = Callable[[str, list[str]], list[float]]
# USE multilingual, measured on paraphrases of pending questions ("¿mi aseguradora me lo
# paga?" ~ "¿Lo cubre mi seguro de Sanitas?" 0.64, "y lo del pinchazo" ~ "la vacuna de la
# rabia" 0.42) and on unrelated questions to the same lists (at most 0.29).
PENDING_SIMILARITY = 0.37


def pending_topic(context: dict[str, Any], text: str, similar: Similar | None = None) -> str | None:
    """The call's pending question the message asks about, by topic ("¿ya supieron lo de
    SAP?" → "¿Y se puede conectar con SAP?"): the one sharing most content terms, else, with
    `similar`, the one closest in meaning if close enough ("¿mi aseguradora me lo paga?")."""
    pending = context.get("pending_questions") or []
    wanted = answers.Question(text)
    scored = [(len(wanted.matched(q)[0]), q) for q in pending]
    best = max(scored, default=(0, ""))
    if best[0]:
        return best[1]
    if similar is None or not pending:
        return None
    closeness = similar(text, pending)
    top = max(range(len(pending)), key=closeness.__getitem__)
    return pending[top] if closeness[top] >= PENDING_SIMILARITY else None
