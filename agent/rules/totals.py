"""A total the conversation implies but never said: a price per unit times how many of each
unit ("tres noches, a 280 soles la noche" → 840 soles; "two double rooms, four nights, at 95
US dollars per room per night" → 760), asked as a total ("¿cuánto me sale todo el
hospedaje?", "what would the whole stay come to for both rooms?").

A total a line of ours states ("el total es 840 soles") is the answer as it is, the latest one
said. Otherwise one is computed only when it is unambiguous: one price per unit among our
lines, one count for each of its units (the question's own count first: "for both rooms"),
and not a sum of several things ("el plan más dos sesiones").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.rules.answers import evidence, is_customer, unlabelled
from agent.rules.intents import fold

_ASKS_TOTAL = re.compile(
    r"\b(total|en total|todo|toda|completo|completa|entero|entera|whole|entire|all together"
    r"|altogether|in all|overall|come to|comes to|sum)\b"
)
_ASKS_AMOUNT = re.compile(
    r"\b(cuanto|cuantos|how much|what would|what will|price|precio|costo|cost|sale|sales|cobran"
    r"|pagar|pagaria|pay)\b"
)
# Each unit a price can be per, by its singular and plural words (accent-folded).
_UNITS: dict[str, tuple[str, ...]] = {
    "night": ("noche", "noches", "night", "nights"),
    "day": ("dia", "dias", "day", "days", "jornada", "jornadas"),
    "session": ("sesion", "sesiones", "session", "sessions", "clase", "clases", "class", "classes"),
    "person": (
        "persona",
        "personas",
        "person",
        "people",
        "persons",
        "invitado",
        "invitados",
        "guest",
        "guests",
    ),
    "room": ("habitacion", "habitaciones", "cuarto", "cuartos", "room", "rooms"),
    "hour": ("hora", "horas", "hour", "hours"),
    "week": ("semana", "semanas", "week", "weeks"),
    "month": ("mes", "meses", "month", "months"),
    "ticket": (
        "boleto",
        "boletos",
        "entrada",
        "entradas",
        "ticket",
        "tickets",
        "pasaje",
        "pasajes",
    ),
}
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
_UNIT = "(" + "|".join(sorted(_UNIT_OF, key=len, reverse=True)) + ")"
_CURRENCY = (
    r"(?:us |u\.s\. )?(?:pesos|soles|dolares|dollars|usd|euros|quetzales|rupees|rupias|libras"
    r"|pounds|reais|bolivares|colones|lempiras|balboas|guaranies|mxn|cop|ars|clp|gbp|eur|rs)"
)
_FIGURE = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_NUMBER_WORDS = {
    "one": 1,
    "dos": 2,
    "two": 2,
    "both": 2,
    "ambas": 2,
    "ambos": 2,
    "tres": 3,
    "three": 3,
    "cuatro": 4,
    "four": 4,
    "cinco": 5,
    "five": 5,
    "seis": 6,
    "six": 6,
    "siete": 7,
    "seven": 7,
    "ocho": 8,
    "eight": 8,
    "nueve": 9,
    "nine": 9,
    "diez": 10,
    "ten": 10,
    "once": 11,
    "eleven": 11,
    "doce": 12,
    "twelve": 12,
    "catorce": 14,
    "fourteen": 14,
    "quince": 15,
    "fifteen": 15,
    "veinte": 20,
    "twenty": 20,
    "treinta": 30,
    "thirty": 30,
}
_COUNT_WORD = "(" + "|".join(_NUMBER_WORDS) + r"|\d{1,3})"
# "280 soles la noche", "95 US dollars per room per night", "65 dollars a day", "95 quetzales
# por persona", "$40 each session".
_PER = r"(?:la|el|por|per|a|an|each|cada|al|a la)"
_PRICE_PER = re.compile(
    rf"[$€£]?\s?(?P<figure>{_FIGURE})(?P<mil> mil)?\s?(?P<currency>{_CURRENCY})?\s+{_PER}\s+"
    rf"(?P<unit>{_UNIT})\b(?:\s+(?:y\s+)?{_PER}\s+(?P<unit2>{_UNIT})\b)?"
)
# "cada sesión sale en 3,500 pesos", "each night is 280 soles".
_EACH_PRICE = re.compile(
    rf"\b(?:cada|each|per)\s+(?P<unit>{_UNIT})\b(?:\s+\w+){{0,3}}?\s+[$€£]?\s?"
    rf"(?P<figure>{_FIGURE})(?P<mil> mil)?\s?(?P<currency>{_CURRENCY})?"
)
# "tres noches", "two double rooms", "4 nights", "las dos habitaciones", "both rooms".
_COUNT = re.compile(rf"\b{_COUNT_WORD}\s+(?:\w+\s+)?{_UNIT}\b")
_ADDS = re.compile(r"\b(mas|plus|junto con|ademas de|sumando|sumado)\b|\+")
_STATED_TOTAL = re.compile(r"\b(total|en total|in total|todo incluido|all in|altogether)\b")


@dataclass(frozen=True)
class Total:
    """A total: its value and how it was reckoned (none when a line of ours states it), and
    the lines it rests on."""

    amount: str | None
    reckoning: str | None
    lines: list[str]
    hit: dict[str, Any]


def asks_total(text: str) -> bool:
    folded = fold(text)
    return bool(_ASKS_TOTAL.search(folded) and _ASKS_AMOUNT.search(folded))


def _value(figure: str, mil: str | None) -> float:
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", figure):
        number = float(re.sub(r"[.,]", "", figure))
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+[.,]\d{1,2}", figure):
        number = float(re.sub(r"[.,]", "", figure[:-3]) + "." + figure[-2:])
    else:
        number = float(figure.replace(",", "."))
    return number * 1000 if mil else number


def _written(value: float, like: str, language: str) -> str:
    """`value` with the thousands mark the call used for its price (or the language's)."""
    mark = "," if "," in like and not re.search(r",\d{1,2}$", like) else "."
    if not re.search(r"[.,]\d{3}", like):
        mark = "," if language == "en" else "."
    whole = f"{int(round(value)):,}".replace(",", mark)
    cents = round(value - int(value), 2)
    return whole if cents == 0 else f"{whole}{',' if mark == '.' else '.'}{int(cents * 100):02d}"


def implied_total(text: str, hits: list[dict[str, Any]], language: str) -> Total | None:
    """The total for a question asking one: the line of ours that states it, else the one the
    recalled conversation implies (module docstring), else None (anything ambiguous)."""
    if not asks_total(text) or _ADDS.search(fold(text)):
        return None  # "el plan más dos sesiones": a sum of things, not one price times counts
    ours = [
        (h, ln.strip())
        for h in hits
        for ln in evidence(h).splitlines()  # not Hilo's own written replies
        if ln.strip() and not is_customer(ln.strip())
    ]
    stated = [(h, ln) for h, ln in ours if _STATED_TOTAL.search(fold(ln)) and re.search(r"\d", ln)]
    if stated:
        # The latest said ("el total es 840 soles"; after a correction, the corrected one).
        h, ln = max(stated, key=lambda x: (x[0].get("date") or "", x[0].get("last_seq") or 0))
        return Total(amount=None, reckoning=None, lines=[ln], hit=h)
    prices: dict[tuple[float, tuple[str, ...]], tuple[dict[str, Any], str, re.Match[str]]] = {}
    for h, ln in ours:
        folded = fold(unlabelled(ln))
        # One figure of a line, per every unit said of it ("each class is 30 dollars per
        # person": per class and per person).
        in_line: dict[float, tuple[list[str], re.Match[str]]] = {}
        for pattern in (_PRICE_PER, _EACH_PRICE):
            for m in pattern.finditer(folded):
                bare = not (m.group("currency") or m.group("mil"))
                marked = re.search(r"[$€£]\s?" + re.escape(m.group("figure")), folded)
                if pattern is _PRICE_PER and bare and not marked:
                    continue  # "4 noches a la semana" is no price
                named = [_UNIT_OF[u] for u in (m.group("unit"), m.groupdict().get("unit2")) if u]
                value = _value(m.group("figure"), m.group("mil"))
                in_line.setdefault(value, ([], m))[0].extend(named)
        for value, (per, m) in in_line.items():
            prices.setdefault((value, tuple(sorted(set(per)))), (h, ln, m))
    if len(prices) != 1:
        return None
    (price, units), (hit, price_line, match) = next(iter(prices.items()))
    counts: list[tuple[int, str, str]] = []  # (how many, the word counted, the line saying it)
    for unit in units:
        found = _count(unit, fold(text), None) or _count_in(unit, hits, price_line)
        if found is None:
            return None
        counts.append(found)
    total = price
    for n, _, _ in counts:
        total *= n
    figure = match.group("figure")
    currency = match.group("currency") or ""
    said = unlabelled(price_line)
    if currency and len(fold(said)) == len(said):  # the currency as written ("US dollars")
        currency = said[match.start("currency") : match.end("currency")]
    amount = _written(total, figure, language) + (f" {currency}" if currency else "")
    if match.group("mil") and not currency:
        amount = _written(total, "1.000", language)
    each = f"{figure}{match.group('mil') or ''}" + (f" {currency}" if currency else "")
    reckoning = " × ".join([*(f"{n} {word}" for n, word, _ in counts), each])
    sources = [price_line, *(line for _, _, line in counts if line)]
    return Total(amount=amount, reckoning=reckoning, lines=list(dict.fromkeys(sources)), hit=hit)


def _count(unit: str, folded: str, line: str | None) -> tuple[int, str, str] | None:
    """How many of `unit` a text says, when it says one number only."""
    values = {}
    for m in _COUNT.finditer(folded):
        if _UNIT_OF[m.group(2)] != unit:
            continue
        word = m.group(1)
        values[_NUMBER_WORDS.get(word) or int(word)] = m.group(2)
    if len(values) != 1:
        return None
    n, word = next(iter(values.items()))
    return n, word, line or ""


def _count_in(
    unit: str, hits: list[dict[str, Any]], price_line: str
) -> tuple[int, str, str] | None:
    """The one count of `unit` the recalled lines give (the price's own line first)."""
    lines = [price_line] + [
        ln.strip() for h in hits for ln in evidence(h).splitlines() if ln.strip()
    ]
    found: dict[int, tuple[str, str]] = {}
    for ln in dict.fromkeys(lines):
        counted = _count(unit, fold(unlabelled(ln)), ln)
        if counted is not None:
            found.setdefault(counted[0], (counted[1], "" if ln == price_line else ln))
    if len(found) != 1:
        return None
    n, (word, line) = next(iter(found.items()))
    return n, word, line
