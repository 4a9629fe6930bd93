"""Which language a customer writes in: Spanish or English, from short messages."""

from __future__ import annotations

import re

_ES = set(
    [
        "el",
        "la",
        "los",
        "las",
        "de",
        "que",
        "y",
        "en",
        "un",
        "una",
        "por",
        "para",
        "con",
        "no",
        "si",
        "sí",
        "es",
        "está",
        "estoy",
        "quiero",
        "puedo",
        "me",
        "te",
        "mi",
        "tu",
        "usted",
        "cuánto",
        "cuanto",
        "cuándo",
        "cuando",
        "dónde",
        "donde",
        "qué",
        "como",
        "cómo",
        "hola",
        "gracias",
        "buenas",
        "buenos",
        "días",
        "tardes",
        "noches",
        "favor",
        "mañana",
        "llamada",
        "hablamos",
        "necesito",
        "tengo",
        "precio",
        "cotización",
        "semana",
        "jueves",
        "lunes",
        "martes",
        "miércoles",
        "viernes",
        "sábado",
        "domingo",
        "persona",
        "ayuda",
        "hora",
        "van",
        "llamar",
    ]
)
_EN = set(
    [
        "the",
        "a",
        "an",
        "of",
        "and",
        "in",
        "is",
        "are",
        "was",
        "were",
        "to",
        "for",
        "with",
        "not",
        "yes",
        "no",
        "my",
        "your",
        "you",
        "i",
        "me",
        "we",
        "can",
        "could",
        "would",
        "should",
        "what",
        "when",
        "where",
        "how",
        "hi",
        "hello",
        "thanks",
        "thank",
        "please",
        "tomorrow",
        "call",
        "talked",
        "need",
        "have",
        "price",
        "quote",
        "week",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "person",
        "help",
        "want",
        "remind",
        "about",
    ]
)
_WORD = re.compile(r"[a-záéíóúñü']+")


# Spelt alike in both languages ("a" is a Spanish preposition and an English article): no sign.
_BOTH = (_ES & _EN) | {"a"}
# The short function words of both languages (articles, pronouns, prepositions, yes/no).
FUNCTION_WORDS = frozenset(_ES | _EN)


def detect_language(text: str, default: str = "es") -> str:
    """`es` or `en`; `default` when the message gives no clear sign (e.g. "ok", "👍")."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _BOTH]
    if any(ch in text for ch in "¿¡ñáéíóú"):
        return "es"
    es = sum(w in _ES for w in words)
    en = sum(w in _EN for w in words)
    if en > es and en >= 1:
        return "en"
    if es > en:
        return "es"
    return default
