"""Options we offered the customer, read from our own words: the one a bare answer chooses
("baja" after "¿la más alta a 12 meses o la más baja a 18?"), with its details from the
offer itself ("18 cuotas de 241.300"), and the cheaper one a price objection asks for
("¿no hay algo más económico?").

Our words are the agent's lines: our recent messages and call turns (the customer context's
`recent_messages`) and the agent lines of recalled chunks. Text is compared accent-folded.
"""

from __future__ import annotations

import re
from typing import Any

from agent.language import detect_language
from agent.rules.entities import KINDS
from agent.rules.intents import fold

_SPEAKER = re.compile(r"^(Agente|Agent|Asesor|Advisor):\s*")
# Alternatives side by side: "en 12 cuotas de 318.400 o en 18 cuotas de 241.300", "alta, media
# o baja", "the monthly or the yearly plan".
_ALTERNATIVES = re.compile(r"\s*(?:[;:]|,(?!\d)|\s(?:o|u|y|or|and)\s)\s*")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
# "¿No hay algo más económico?", "anything cheaper?", "menos caro", "something more basic".
_ASKS_CHEAPER = re.compile(
    r"\b(mas (economic\w*|barat\w*|basic\w*|accesible\w*|sencill\w*)|menos (car[oa]s?|costos\w*)"
    r"|cheaper|less expensive|more (affordable|basic)|lower (price|cost)|cheapest"
    r"|mas bajo de precio)\b"
)
# Figures that are not prices: clock times, lengths of time, frequencies.
_NOT_PRICES = [KINDS[k][1] for k in ("time", "duration", "frequency")]


def ours(recent_messages: list[dict[str, Any]], hits: list[dict[str, Any]]) -> list[str]:
    """Our lines, most recent message first, then the recalled agent lines."""
    lines = [m.get("text") or "" for m in reversed(recent_messages) if m.get("role") == "agent"]
    for h in hits:
        for ln in (h.get("text") or "").splitlines():
            if _SPEAKER.match(ln.strip()):
                lines.append(_SPEAKER.sub("", ln.strip()))
    return [ln for ln in lines if ln.strip()]


def chosen_option(word: str, lines: list[str]) -> str | None:
    """The option of ours a bare answer names, as we worded it, with the details of the offer
    it points to: "baja" → "la más baja a 18 (18 cuotas de 241.300)". None when our words
    offer no such option."""
    key = fold(word).strip(" .!¡¿?")
    if not key or " " in key:
        return None
    phrase = None
    for line in lines:
        for sentence in re.split(r"(?<=[.!?])\s+|¿", line):
            pieces = [p.strip(" ¿?.!") for p in _ALTERNATIVES.split(sentence) if p.strip(" ¿?.!")]
            named = [p for p in pieces if re.search(rf"\b{re.escape(key)}\b", fold(p))]
            if len(pieces) >= 2 and named:
                phrase = named[0]
                break
        if phrase:
            break
    if phrase is None:
        return None
    figures = set(_FIGURE.findall(phrase))
    if not figures:
        return phrase
    # The offer that says more about it: an alternative with the same figure and another one,
    # said in the words of the option (a summary in another language comes after).
    language = detect_language(phrase)
    details = [
        re.sub(r"^(en|in|a|at|de|of)\s+", "", piece.strip(" ¿?.!"))
        for line in lines
        for piece in _ALTERNATIVES.split(line)
        if figures & set(_FIGURE.findall(piece))
        and len(_FIGURE.findall(piece)) >= 2
        and fold(piece) != fold(phrase)
    ]
    details.sort(key=lambda piece: detect_language(piece, language) != language)
    return f"{phrase} ({details[0]})" if details else phrase


def asks_cheaper(text: str) -> bool:
    """Whether a message asks for a cheaper option than the one offered."""
    return _ASKS_CHEAPER.search(fold(text)) is not None


_MONEY = re.compile(
    r"[$€£]|\d{1,3}([.,]\d{3})+|\b(pesos|dolares|dollars|euros|usd|cop|mxn|ars|gbp|pounds|rupees"
    r"|soles|mil|lakh|k)\b"
)


def _price(line: str) -> float | None:
    folded = fold(line)
    if not _MONEY.search(folded):
        return None
    for pattern in _NOT_PRICES:
        folded = pattern.sub(" ", folded)
    values = []
    for figure in _FIGURE.findall(folded):
        thousands = re.fullmatch(r"\d{1,3}([.,]\d{3})+", figure)
        plain = figure.replace(".", "").replace(",", "") if thousands else figure.replace(",", ".")
        try:
            values.append(float(plain))
        except ValueError:
            continue
    return max(values) if values else None


def cheapest_offer(lines: list[str]) -> str | None:
    """The line of ours with the lowest price, when we named two prices or more."""
    priced = [(p, ln) for ln in lines if (p := _price(ln)) is not None]
    if len({p for p, _ in priced}) < 2:
        return None
    return min(priced, key=lambda x: x[0])[1]


def choice_in(text: str, results: dict[str, list[dict[str, Any]]]) -> str:
    """The option a bare answer chooses, from what this turn's tools returned (the context's
    recent messages, the recalled chunks), or the answer itself."""
    return named_option(text, results) or text.strip()[:80]


def named_option(text: str, results: dict[str, list[dict[str, Any]]]) -> str | None:
    """The option of ours a bare answer names, in our words, from this turn's tool results;
    None when we offered no such option."""
    context = (results.get("get_customer_context") or [{}])[0]
    hits = [h for r in results.get("recall_conversations", []) for h in r.get("results", [])]
    lines = ours(context.get("recent_messages") or [], hits)
    return chosen_option(text, lines)
