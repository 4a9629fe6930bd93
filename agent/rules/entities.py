"""Question types and entity extractors: what kind of fact a question asks for, and which
kinds of fact a line holds.

A question asks for a time, a day, a date, an amount, a duration, a frequency, a name, a place
or a yes/no; a line answers it when it holds an entity of that kind (a clock time, a weekday, a
figure with a currency, "cada 15 minutos"). Text is accent-folded lower case unless a function
says otherwise. Texting shorthand ("q", "x", "xq") is spelt out first (`expand_shorthand`), from
the small data file `shorthand.jsonl`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

_NUMBER_WORDS = (
    r"un[oa]?|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta"
    r"|cuarenta|cincuenta|sesenta|noventa|cien|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|twelve|fifteen|twenty|thirty|a|an"
)
_HOUR_WORDS = (
    r"una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|one|two|three|four|five"
    r"|six|seven|eight|nine|ten|eleven|twelve"
)
_UNITS = (
    r"minutos?|horas?|dias?|semanas?|meses|mes|anos?|minutes?|hours?|days?|weeks?|months?|years?"
)
# kind: (how a question asks for it, how a line shows one)
KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "frequency": (
        re.compile(
            r"\b(cada cuanto|con que frecuencia|cuantas veces|how often|how frequently"
            r"|how many times|frecuencia|frequency)\b"
        ),
        re.compile(
            rf"\bcada\s+((\d+|{_NUMBER_WORDS})\s+)?({_UNITS})\b|\bevery\s+((\d+|{_NUMBER_WORDS})\s+)?"
            rf"({_UNITS})\b|\b(\d+|{_NUMBER_WORDS}) (veces|times)\b|\b(diari\w+|semanal\w*"
            r"|mensual\w*|anual\w*|daily|weekly|monthly|hourly|yearly|twice|once a|una vez (al|por"
            r"|a la|cada))\b|\b(al|por|a la|per|a) (dia|semana|mes|hora|ano|day|week|month|hour)\b"
        ),
    ),
    "time": (
        re.compile(
            r"\b(hora|horas|horario|a que hora|franja|franja horaria|what time|hours|at what time"
            r"|time slot|time window)\b"
            # A part of the day or another: "¿llega en la mañana o en la tarde?".
            r"|\b(manana|tarde|noche) o (en |por )?(la )?(manana|tarde|noche)\b"
            r"|\b(morning|afternoon|evening) or (in )?(the )?(morning|afternoon|evening)\b"
        ),
        re.compile(
            r"\b\d{1,2}(:\d{2})?\s*(am|pm|a\.\s?m|p\.\s?m|de la (manana|tarde|noche)|hrs|h)\b"
            r"|\b(a las|a la|at|from|desde las|hasta las|entre las|de las|y las) \d{1,2}(:\d{2})?\b"
            r"|\b\d{1,2}:\d{2}\b"
            # A window of hours: "entre 8 y 12", "between 9 and 1".
            r"|\bentre (las )?\d{1,2}(:\d{2})? y (las )?\d{1,2}\b"
            r"|\bbetween \d{1,2}(:\d{2})? and \d{1,2}\b"
            r"|\bmediodia\b|\bnoon\b|\bmedianoche\b|\bmidnight\b"
            # An hour in words: "cinco y media de la tarde", "a las ocho", "seven pm".
            rf"|\b({_HOUR_WORDS})( y (media|cuarto))? de la (manana|tarde|noche)\b"
            rf"|\b(a|hasta|desde) las ({_HOUR_WORDS})\b(?! (personas|semanas|horas|dias))"
            rf"|\b({_HOUR_WORDS}) (pm|am|p\.m|a\.m|o'?clock|in the (morning|afternoon|evening))\b"
        ),
    ),
    "day": (
        re.compile(
            r"\b(que dias?|cuando|para cuando|fechas?|what days?|which days?|when|que fechas?|dias"
            r"|dates?|on what days?|deadline|due date|plazo|fecha limite|hasta cuando|by when)\b"
            # Whether something is ready asks when it is: "¿ya está listo?", "is it ready yet?"
            r"|\b(esta|estan|estara|estaran|queda|quedan|quedo|quedaron) list[oa]s?\b"
            r"|\b(is|are) (it|they|mine|my \w+|the \w+) ready\b|\bready yet\b"
        ),
        re.compile(
            r"\b(lunes|martes|miercoles|jueves|viernes|sabados?|domingos?|manana|hoy|enero"
            r"|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre"
            r"|diciembre|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow"
            r"|today|semana|week|january|february|march|april|june|july|august|september"
            r"|october|november|december)\b|\b\d{1,2} de [a-z]+\b|\b\d{1,2}/\d{1,2}\b"
            r"|\b\d{1,2}(st|nd|rd|th)\b"
        ),
    ),
    "duration": (
        re.compile(
            r"\b(cuanto tiempo|cuantos (dias|meses|anos|semanas|minutos)|cuantas (horas|semanas)"
            r"|how long|how many (days|hours|weeks|months|years|minutes)|duracion|dura|duran"
            r"|demora\w*|tarda\w*|how long does|take to)\b"
        ),
        re.compile(
            rf"\b(\d+|{_NUMBER_WORDS}|media|medio)\s+((working|business|calendar|full|whole)\s+)?"
            rf"({_UNITS})\b"
        ),
    ),
    "amount": (
        re.compile(
            r"\b(cuant[oa]s?|precio|costo|cuesta|costaba|valor|vale|valia|sale|salia|cobran"
            r"|numero|how much|how many|price|cost|number|total|descuento|discount|deducible"
            r"|cuota|cuotas|fee|amount|monto|importe)\b"
        ),
        re.compile(
            r"\d|\b(dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince"
            r"|veinte|treinta|cuarenta|cincuenta|cien|mil|millon\w*|gratis|one|two|three|four"
            r"|five|six|seven|eight|nine|ten|twelve|free|mitad|half)\b"
        ),
    ),
    "place": (
        re.compile(
            r"\b(donde|adonde|en que (lugar|sede|direccion)|direccion|ubicacion|ubicad[oa]s"
            r"|where|address|location|located)\b"
        ),
        re.compile(
            r"\b(calle|carrera|avenida|av|sede|local|oficina|piso|barrio|street|avenue|suite"
            r"|floor|office|cra|cl)\b|#\s?\d"
        ),
    ),
    "name": (
        re.compile(
            r"\b(como se llama\w*|cual es (el|su) nombre|que nombre|quien|what'?s (the|his|her)"
            r" name|who)\b"
        ),
        re.compile(r"\b(se llama|llamad[oa]|nombre|named|called|name is)\b"),
    ),
}
# Frequencies and durations ask "cuánto" too: the narrower kind wins.
# "¿En cuántos días …?" asks a duration, not a weekday.
_NARROWER = {"frequency": {"amount", "duration", "time"}, "duration": {"amount", "day"}}
_ACCENTED = str.maketrans({"a": "[aá]", "e": "[eé]", "i": "[ií]", "o": "[oó]", "u": "[uú]"})
_ASKING = (
    "que|cual|cuales|cuanto|cuanta|cuantos|cuantas|cuando|donde|como|quien|what|how|when|where"
    "|which|who|does|do|is|are|can"
)
_QUESTION_SPLIT = re.compile(
    r"\?+|(?:,\s*|\s+)(?:y|and|e|tambi[eé]n|also|adem[aá]s)\s+"
    r"(?=(?:(?:a|para|de|en|por|con|desde|from|at|in|for) )?(?:"
    + _ASKING.translate(_ACCENTED)
    + r")\b)",
    re.IGNORECASE,
)
_QUESTION_WORD = re.compile(
    r"^\W*(y |and |oye |oe |hola,? )?(que|cual|cuales|cuant\w*|cuando|donde|como|quien|a que"
    r"|para que|por que|tienen|tienes|hay|se puede|puedo|pueden|incluye|sirve|what|how|when"
    r"|where|which|who|why|does|do|is|are|can|will|did)\b"
)


def question_kinds(folded: str) -> set[str]:
    """The kinds of fact a question asks for ("¿a qué hora…?" → {"time"})."""
    kinds = {kind for kind, (asks, _) in KINDS.items() if asks.search(folded)}
    for narrow, wider in _NARROWER.items():
        if narrow in kinds:
            kinds -= wider
    return kinds


def entity_kinds(folded: str) -> set[str]:
    """The kinds of fact a line holds ("llega a las 7" → {"time", "amount"})."""
    return {kind for kind, (_, shows) in KINDS.items() if shows.search(folded)}


# A figure that is a clock time, a length of time or a frequency ("12 horas", "a las 7") is
# that fact, not an amount: an amount asked is answered by a figure left once those are out.
_NOT_AMOUNTS = ("time", "duration", "frequency")


def shows(kind: str, folded: str) -> bool:
    if kind == "amount":
        for other in _NOT_AMOUNTS:
            folded = KINDS[other][1].sub(" ", folded)
    return KINDS[kind][1].search(folded) is not None


# A question asked without its mark, inside a sentence ("quería saber a qué hora era la
# cita", "I wanted to know how long it takes").
_INDIRECT = re.compile(
    r"\b(queria|quisiera|quiero|necesito|me gustaria) saber\b|\b(me )?(puedes|puede|podrias"
    r"|podria|pueden) (decir|confirmar|recordar)\b|\bme (dices|dice|confirmas|confirma|recuerdas"
    r"|recuerda)\b|\b(i )?(wanted|want|need|would like|'d like) to know\b|\bcan you (tell|remind"
    r"|confirm)\b|\bdo you know\b"
    # Asked as a request: "tell me the instalment once more", "recuérdame el horario".
    r"|^\W*(please |kindly |porfa |por favor )?(tell|remind) me\b"
    r"|^\W*(dime|digame|decime|diganme|recuerdame|recordame)\b"
)


# A question asked without its mark, its question word late in it: the word with a few words
# and a verb of being ending the clause ("y el técnico qué franja era", "lo mío cuánto era",
# "the bill how much is"); "lo que era" is a relative clause, no question.
_LATE_QUESTION_WORD = re.compile(
    r"(?<!\blo )(?<!\bel )(?<!\bla )(?<!\blos )(?<!\blas )\b(que|cual|cuales|cuant[oa]s?|cuando"
    r"|donde|quien|quienes|how much|how many|what|when|where|who)\b(\s+\w+){0,3}\s+(era|eran|es"
    r"|son|fue|fueron|queda|quedo|quedaba|quedaria|sale|salia|saldria|seria|serian|is|was|are"
    r"|were|would be)\s*([.!,;]|$)"
)
# An either/or asked of a fact, without its mark: a verb of being or of coming, then two
# alternatives said alike ("eran de ustedes o de la otra empresa", "was it cash or card").
_EITHER_OR = re.compile(
    r"\b(era|eran|es|son|fue|fueron|seria|serian|va|van|viene|vienen|llega|llegan|is|was|are"
    r"|were|comes|arrives)\b[^.!?]{0,40}\s(de|del|en|por|con|para|a|al|el|la|in|on|by|from|at"
    r"|with|the)\s[^.!?]{1,40}\s(o|u|or)\s(de|del|en|por|con|para|a|al|el|la|in|on|by|from|at"
    r"|with|the)\s[^.!?,]{1,40}\W*$"
)


def is_question(text: str, folded: str) -> bool:
    """A question, asked with a mark, a question word ("a que hora pasan por mi") or as an
    indirect question ("quería saber a qué hora era"); without a mark, a question word late
    in it before a verb of being ("lo mío cuánto era"), or an either/or of a fact."""
    return (
        "?" in text
        or _QUESTION_WORD.search(folded) is not None
        or _INDIRECT.search(folded) is not None
        or _LATE_QUESTION_WORD.search(folded) is not None
        or _EITHER_OR.search(folded) is not None
    )


def split_questions(text: str) -> list[str]:
    """The questions of a message, each on its own: on question marks, and on "y"/"and"
    before another question word ("¿a qué hora pasan y cuánto sale?" → two)."""
    parts = [p.strip(" ¿?,.;") for p in _QUESTION_SPLIT.split(text)]
    return [p for p in parts if len(p) > 3]


@cache
def _shorthand() -> dict[str, str]:
    lines = resources.files("agent.rules").joinpath("shorthand.jsonl").read_text("utf-8")
    pairs = [json.loads(line) for line in lines.splitlines() if line.strip()]
    return {p["short"]: p["full"] for p in pairs}


_TOKEN = re.compile(r"(?<![\w.@/+-])([A-Za-z]{1,5})(?![\w.@/-])")


# A letter said three times or more ("holaaa", "siii"), or a final consonant doubled
# ("buenass", "niñoss"): chat spelling, never Spanish or English spelling.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_DOUBLED_END = re.compile(r"(?<=[a-záéíóúñ]{2})([sdnrz])\1\b", re.IGNORECASE)


def normalise_spelling(text: str) -> str:
    """Chat spelling undone: stretched letters and a doubled final consonant ("buenass,
    a que horasss" → "buenas, a que horas"); emails and links untouched."""

    def plain(word: str) -> str:
        if "@" in word or "/" in word:
            return word
        return _DOUBLED_END.sub(r"\1", _STRETCHED.sub(r"\1", word))

    return " ".join(plain(w) for w in text.split(" "))


def expand_shorthand(text: str) -> str:
    """Texting shorthand spelt out ("a q hora" → "a que hora", "x telefono" → "por
    telefono"); emails, links and numbers untouched."""
    table = _shorthand()

    def spell(match: re.Match[str]) -> str:
        word = match.group(1)
        return table.get(word.lower(), word) if word.islower() else word

    return _TOKEN.sub(spell, text)


# A clock time said in a way a reader may take for another (an hour alone, a part of the day,
# am/pm): "a las 19", "a las 21 horas", "8 de la noche", "7 pm". "18:30" is already plain.
_SPOKEN_TIME = re.compile(
    r"\b(?:(?:a|desde|hasta|de|entre|y) las|at|from|until|by)\s+(?P<bare>\d{1,2})(?![\d:]|[.,]\d)"
    r"(?:\s*(?:horas|hrs|hs|h)\b)?(?!\s*(?:de la |am\b|pm\b|a\.\s?m|p\.\s?m|minut|min\b|%"
    r"|person|people|km|kilo|metro|dias|semana|mes|ano|cuadra|days|weeks|months|years))"
    r"|\b(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<part>de la manana|de la tarde|de la noche"
    r"|am|pm|a\.\s?m\.?|p\.\s?m\.?)(?!\w)"
)


def clock_times(folded: str) -> list[str]:
    """The clock times a folded line states in words or on a twelve-hour clock, as "HH:MM"
    on the 24-hour clock ("las puertas abren a las 19" → "19:00", "a las 8 de la noche" →
    "20:00"); an hour alone up to 12 is left out (morning or afternoon: it does not say)."""
    times: list[str] = []
    for match in _SPOKEN_TIME.finditer(folded):
        if match.group("bare") is not None:
            hour, minute = int(match.group("bare")), 0
            if not 13 <= hour <= 23:
                continue
        else:
            hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
            part = match.group("part").replace(" ", "").replace(".", "")
            if hour > 12 or minute > 59:
                continue
            if part in ("pm", "delatarde", "delanoche") and hour < 12:
                hour += 12
            elif part in ("am", "delamanana") and hour == 12:
                hour = 0
            elif match.group("minute"):
                continue  # "5:30 de la mañana" says it plainly already
        said = f"{hour:02d}:{minute:02d}"
        if said not in times:
            times.append(said)
    return times
