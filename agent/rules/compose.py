"""Replies of the rules model, written only from tool results and the reply catalogue."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.rules.intents import Reading, fold
from agent.rules.policy import recap
from prompts import message

# A recalled chunk counts as an answer when its keywords match well or its meaning is close.
MIN_KEYWORD_SCORE = 1.5
MIN_SIMILARITY = 0.5
MIN_COVERAGE = 0.6
# Cross-lingual USE similarity of a right answer is often only ~0.3 (English question, Spanish call).
EXPLICIT_SIMILARITY = 0.28
_QUERY_NOISE = set(
    [
        "recuerdas",
        "recuerdame",
        "acuerdas",
        "dije",
        "dijiste",
        "dijimos",
        "hablamos",
        "habiamos",
        "llamada",
        "cuanto",
        "cual",
        "cuales",
        "cuando",
        "donde",
        "podiamos",
        "podemos",
        "puedo",
        "puede",
        "pueden",
        "quiero",
        "quieres",
        "tengo",
        "tiene",
        "tienen",
        "seria",
        "estar",
        "esta",
        "este",
        "esto",
        "para",
        "sobre",
        "favor",
        "hola",
        "remind",
        "told",
        "talked",
        "call",
        "discussed",
        "what",
        "which",
        "about",
        "could",
        "would",
        "tell",
        "please",
    ]
)
_REFERS_BACK = re.compile(
    r"\b(me recuerdas|recuerdame|te acuerdas|lo que (hablamos|dijimos|te dije)|te dije|"
    r"remind me|i (said|told you)|we (discussed|talked|agreed))\b"
)
# "What did you / she / they tell me": the answer is in what we said, not in the customer's words.
_TOLD_ME = re.compile(
    r"\bme (dijo|dijiste|dijeron|comento|comentaste|comentaron|ofrecio|ofreciste|ofrecieron|"
    r"prometio|prometiste|prometieron|explico|explicaste|explicaron|confirmo|confirmaron)\b|"
    r"\byou (told|promised|offered)\b|\b(he|she|they) (said|told|promised|offered)\b"
)
_MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def _relevant(hits: list[dict[str, Any]], query: str, explicit: bool) -> list[dict[str, Any]]:
    """Hits that answer the query: most of its content words appear, or the meaning is close.

    `explicit`: the customer refers to an earlier conversation ("me recuerdas…", "remind me"),
    so a closer-than-usual semantic match (also across languages) is accepted.
    """
    terms = _terms(query)
    min_similarity = EXPLICIT_SIMILARITY if explicit else MIN_SIMILARITY + 0.1
    kept = []
    for h in hits:
        coverage = len(terms & _terms(h["text"])) / len(terms) if terms else 0.0
        keyword = (h.get("keyword_score") or 0) >= MIN_KEYWORD_SCORE and coverage >= MIN_COVERAGE
        if keyword or (h.get("similarity") or 0) >= min_similarity:
            kept.append(h)
    return kept


# Forms of one word whose first five letters differ ("cuesta" / "costaba", "empieza" /
# "empezaba"): read as one term, so a question in one tense finds the answer in another.
_SAME_TERM = {
    "cuest": "costo",
    "costa": "costo",
    "costo": "costo",
    "cost": "costo",
    "empie": "empez",
    "valia": "valor",
    "valen": "valor",
}
_WANTS_NUMBER = re.compile(
    r"\b(cuant[oa]s?|que (precio|valor|costo|fecha|dia|hora)|a que hora|how (much|many)"
    r"|what (price|time|date))\b"
)


def _terms(text: str) -> set[str]:
    words = re.findall(r"\w+", fold(text))
    return {_SAME_TERM.get(w[:5], w[:5]) for w in words if len(w) >= 4 and w not in _QUERY_NOISE}


def _line_score(line: str, terms: set[str], wants_number: bool) -> float:
    """Terms of the question in a line; a figure counts a little when the question asks one."""
    score = float(len(terms & _terms(line)))
    if wants_number and score and re.search(r"\d", _SPEAKER.sub("", line)):
        score += 0.5
    return score


def _best_hit(hits: list[dict[str, Any]], query: str, ours: bool) -> dict[str, Any]:
    """The hit holding the line that best answers the query (ties: the recall ranking)."""
    terms, wants_number = _terms(query), bool(_WANTS_NUMBER.search(fold(query)))

    def best(h: dict[str, Any]) -> float:
        lines = [ln for ln in h["text"].splitlines() if ln.strip()]
        if ours:
            lines = [ln for ln in lines if not _is_customer(ln)] or lines
        return max((_line_score(ln, terms, wants_number) for ln in lines), default=0.0)

    return max(enumerate(hits), key=lambda ih: (best(ih[1]), -ih[0]))[1]


_SPEAKER = re.compile(r"^(Cliente|Customer|Agente|Agent|Asesor|Advisor|Sistema|System):\s*")
_CUSTOMER_LABELS = ("Cliente", "Customer")


def best_lines(chunk_text: str, query: str, language: str = "es", *, ours: bool = False) -> str:
    """The line of a chunk that best answers the query, as who said what: the answer when the
    best line is the customer's question, the customer's own words when they said it. `ours`:
    the customer asks what we told them, so our lines (agent, advisors) come first."""
    lines = [ln.strip() for ln in chunk_text.splitlines() if ln.strip()]
    if not lines:
        return ""
    terms, wants_number = _terms(query), bool(_WANTS_NUMBER.search(fold(query)))
    scores = [_line_score(ln, terms, wants_number) for ln in lines]
    if ours:
        answer = max(range(len(lines)), key=lambda j: (not _is_customer(lines[j]), scores[j], -j))
        if not _is_customer(lines[answer]) and scores[answer] > 0:
            return _attributed(lines[answer], language)
    i = max(range(len(lines)), key=lambda j: (scores[j], -j))
    if (
        "?" in lines[i]
        and i + 1 < len(lines)
        and _is_customer(lines[i + 1]) != _is_customer(lines[i])
    ):
        i += 1  # a question: the fact is in the other speaker's answer
    return _attributed(lines[i], language)


def _ours_on_subject(chunk_text: str, query: str) -> bool:
    terms = _terms(query)
    return any(
        not _is_customer(ln) and terms & _terms(ln) for ln in chunk_text.splitlines() if ln.strip()
    )


def _is_customer(line: str) -> bool:
    match = _SPEAKER.match(line)
    return match is not None and match.group(1) in _CUSTOMER_LABELS


def _attributed(line: str, language: str) -> str:
    said = _SPEAKER.sub("", line)
    if _is_customer(line):
        return f"you said «{said}»" if language == "en" else f"tú dijiste «{said}»"
    return f"we told you «{said}»" if language == "en" else f"te dijimos «{said}»"


def format_when(
    value: str | datetime | None, language: str, timezone: str = "America/Bogota"
) -> str:
    """A due time as the customer reads it, in the business's time zone."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    if language == "en":
        return moment.strftime("%A %B %d at %H:%M").replace(" 0", " ")
    days = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    return (
        f"el {days[moment.weekday()]} {moment.day} de {_MONTHS_ES[moment.month - 1]} "
        f"a las {moment:%H:%M}"
    )


def _date_phrase(iso_date: str, channel: str, language: str) -> str:
    day = datetime.fromisoformat(iso_date)
    where = {
        "call": ("en la llamada", "on the call"),
        "whatsapp": ("por WhatsApp", "on WhatsApp"),
        "human": ("con el asesor", "with the advisor"),
    }.get(channel, ("", ""))
    if language == "en":
        return f"{where[1]} on {day:%B} {day.day}".strip()
    return f"{where[0]} del {day.day} de {_MONTHS_ES[day.month - 1]}".strip()


def compose_reply(
    reading: Reading,
    text: str,
    results: dict[str, list[dict[str, Any]]],
    language: str,
    channel: str = "whatsapp",
    timezone: str = "America/Bogota",
) -> str:
    """The reply to `text`, from the tool results of this turn and the reply catalogue."""
    lang = language

    def when(value: str | None) -> str:
        return format_when(value, lang, timezone)

    if reading.other_party and not results:
        return message("cannot_other", lang)
    if "escalate_to_human" in results:
        return message("escalated", lang)
    if "send_whatsapp" in results:
        sent = results["send_whatsapp"][0]
        return message("whatsapp_sent" if sent.get("sent") else "whatsapp_not_sent", lang)
    if "schedule_callback" in results:
        scheduled = results["schedule_callback"][0].get("scheduled")
        if not scheduled:
            return message("callback_needs_time", lang)
        return message("callback", lang, when=when(scheduled.get("when")))
    context = (results.get("get_customer_context") or [{}])[0]
    parts: list[str] = []
    for outcome in results.get("update_next_action", []):
        created = outcome.get("created") or {}
        updated = outcome.get("updated") or {}
        if reading.intent == "complaint":
            parts.append(message("complaint", lang))
        elif reading.intent == "quote":
            amount = f" ({reading.amounts[0]})" if reading.amounts else ""
            parts.append(message("quote_registered", lang, amount_part=amount))
        elif updated.get("due"):
            parts.append(message("rescheduled", lang, when=when(updated["due"])))
        elif created.get("due"):
            parts.append(message("scheduled", lang, when=when(created["due"])))
    for outcome in results.get("update_customer_profile", []):
        email = (outcome.get("profile") or {}).get("email")
        if email and reading.emails:
            parts.append(message("email_saved", lang, email=email))
    if reading.intent == "send_whatsapp":
        # Already on WhatsApp (or in the console): the recap is the answer itself.
        return recap(context, lang) or message("no_context", lang)
    hits = [h for r in results.get("recall_conversations", []) for h in r.get("results", [])]
    explicit = reading.intent in ("recall", "pending") or bool(_REFERS_BACK.search(fold(text)))
    relevant = _relevant(hits, text, explicit)
    told_me = bool(_TOLD_ME.search(fold(text)))
    if relevant and told_me:
        # Prefer a hit where one of us said something on the subject (stable otherwise).
        relevant.sort(key=lambda h: not _ours_on_subject(h["text"], text))
    if relevant:
        top = _best_hit(relevant, text, told_me)
        parts.append(
            message(
                "recalled",
                lang,
                when=_date_phrase(top["date"], top["channel"], lang),
                fact=best_lines(top["text"], text, lang, ours=told_me),
            )
        )
    last_call = context.get("last_call") or {}
    profile_fact = _profile_fact(context.get("profile") or {}, text)
    if not relevant and profile_fact and reading.intent in ("recall", "pending", "unknown"):
        field, value = profile_fact
        parts.append(message(f"profile_{field}", lang, value=value))
    elif not relevant and reading.intent == "recall" and last_call.get("summary"):
        parts.append(
            message(
                "recalled",
                lang,
                when=_date_phrase(last_call["date"], "call", lang),
                fact=last_call["summary"],
            )
        )
    if reading.intent in ("pending", "quote") and context:
        quote_due = [
            a["due"]
            for a in context.get("next_actions") or []
            if a.get("due") and re.search(r"cotiza|quote", fold(a.get("description", "")))
        ]
        if quote_due and not results.get("update_next_action"):
            parts.append(message("quote_pending", lang, due=when(quote_due[0])))
        pending = context.get("pending_questions") or []
        steps = context.get("agreed_next_steps") or []
        if pending:
            parts.append(message("pending_questions", lang, items="; ".join(pending[:3])))
        if steps and not quote_due:
            parts.append(message("next_steps", lang, items="; ".join(steps[:3])))
    if parts:
        return _tidy(" ".join(parts))
    simple = {
        "thanks": "thanks",
        "bye": "bye",
        "greeting": "greeting",
        "callback": "callback_needs_time",
        "schedule": "schedule_needs_time",
        "opt_in": "opted_in",
    }
    if reading.intent in simple:
        return message(simple[reading.intent], lang, name_part="")
    if reading.intent == "provide_info" and results.get("update_customer_profile"):
        return message("info_saved", lang)
    if "recall_conversations" in results or reading.intent in ("recall", "pending", "quote"):
        return message("nothing_found", lang)
    return message("unknown", lang)


def _tidy(reply: str) -> str:
    """Items that end with their own mark need no period after them ("¿…?." → "¿…?")."""
    return re.sub(r"([?!.])\.", r"\1", reply)


_PROFILE_QUESTIONS = {
    "budget": re.compile(r"\b(budget|presupuesto|pagar|pay|afford|invertir|invest|spend)"),
    "email": re.compile(r"\b(correo|e-?mail|mail)\b"),
}


def _profile_fact(profile: dict[str, Any], text: str) -> tuple[str, str] | None:
    """A stored profile field the customer asks about ("¿qué presupuesto te dije?")."""
    folded = fold(text)
    for field, pattern in _PROFILE_QUESTIONS.items():
        if profile.get(field) and pattern.search(folded):
            return field, str(profile[field])
    return None
