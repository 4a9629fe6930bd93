"""Replies of the rules model, written only from tool results and the reply catalogue."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from agent.language import detect_language
from agent.optout import is_opt_in
from agent.rules import answers, offers, totals
from agent.rules.entities import clock_times, is_question, split_questions
from agent.rules.intents import Reading, fold
from agent.rules.pending import Similar, pending_topic
from agent.rules.policy import recap
from agent.rules.when import _MONTHS_ES, format_when
from prompts import entry, message

# Intents that ask about something (a call's pending question may be meant).
ASKING = ("recall", "pending", "unknown", "quote")
_PROMISE_PREFIXES = re.compile(
    r"(Consultar y responder|Responder al cliente la pregunta|Check and answer|Answer the"
    r" customer's pending|Revisar el adjunto que envió|Review the attachment the customer)"
)


def _quoted(text: str, language: str) -> str:
    """A text from memory in the reply's language as it is; in another one, as a quote."""
    return text if detect_language(text, language) == language else f"«{text}»"


def _summary_answer(summary: str, text: str) -> str:
    """What the call's summary says about the question: all of it for "¿qué hablamos?", the
    sentences that hold the question's words for a question about something in particular
    (none: the summary is not an answer to it)."""
    question = answers.Question(text)
    if not summary or not question.terms:
        return summary
    sentences = [x for x in re.split(r"(?<=[.!?])\s+", summary) if x.strip()]

    def answers_it(sentence: str) -> bool:
        found_terms, found_kinds = question.matched(sentence)
        if question.kinds:  # a figure, a day, a time asked: one of its words and that fact
            return bool(found_terms) and found_kinds == question.kinds
        return question.coverage(sentence) >= answers.MIN_COVERAGE

    return " ".join(x for x in sentences if answers_it(x))


_REFERS_BACK = re.compile(
    r"\b(me recuerdas|recuerdame|te acuerdas|lo que (hablamos|dijimos|te dije)|te dije|"
    r"remind me|i (said|told you)|we (discussed|talked|agreed))\b"
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
    return compose_turn(reading, text, results, language, channel, timezone)[0]


def compose_turn(
    reading: Reading,
    text: str,
    results: dict[str, list[dict[str, Any]]],
    language: str,
    channel: str = "whatsapp",
    timezone: str = "America/Bogota",
    similar: Similar | None = None,
    attachments: tuple[str, ...] = (),
) -> tuple[str, tuple[str, ...]]:
    """The reply to `text`, and the next actions it promises (to check, send or review
    something): the model creates those actions before it sends the reply.
    `similar` (sentence embeddings) matches the call's pending questions by meaning;
    `attachments`, what came with the message: acknowledged first, and a person asked to
    review it (Hilo cannot view or hear it)."""
    promise: list[str] = []
    if attachments and channel != "voice":
        kind = attachments[0]
        caption = " ".join(text.split())[:160]
        promise.append(entry("operator", "review_attachment", language, kind=kind, caption=caption))
    hits = [h for r in results.get("recall_conversations", []) for h in r.get("results", [])]
    with answers.word_meaning(similar, [text, *(h.get("text") or "" for h in hits)]):
        reply = _compose(reading, text, results, language, channel, timezone, promise, similar)
    if attachments and channel != "voice":
        acknowledged = message("attachment_received", language, kind=attachments[0])
        reply = f"{acknowledged} {reply}".strip() if reply != acknowledged else reply
    return reply, tuple(promise)


def _compose(
    reading: Reading,
    text: str,
    results: dict[str, list[dict[str, Any]]],
    language: str,
    channel: str,
    timezone: str,
    promise: list[str],
    similar: Similar | None = None,
) -> str:
    lang = language

    def when(value: str | None) -> str:
        # The moment the customer named, as they named it: "el martes en la mañana", no
        # made-up clock time.
        said = reading.when is not None and value and datetime.fromisoformat(value) == reading.when
        return format_when(value, lang, timezone, reading.part_of_day if said else None)

    if reading.intent == "choice":
        if is_opt_in(text) and offers.named_option(text, results) is None:
            return message("opted_in", lang)  # "alta", "start", naming nothing we offered
        return message("choice_noted", lang, choice=offers.choice_in(text, results))
    if reading.other_party and not results:
        return message("cannot_other", lang)
    if reading.other_party and reading.forward_what and set(results) == {"recall_conversations"}:
        found = [h for r in results["recall_conversations"] for h in r.get("results", [])]
        kept = answers.relevant(found, reading.forward_what, True, similar)
        if not kept:
            return message("cannot_other", lang)
        _, lines = answers.answer(kept, reading.forward_what, found, similar)
        fact = answers.attributed(lines, lang)
        return f"{message('cannot_other', lang)} {message('forward_yourself', lang, fact=fact)}"
    if "escalate_to_human" in results:  # on a call, in spoken words (no "I'll write here")
        return (
            entry("voice", "escalated", lang) if channel == "voice" else message("escalated", lang)
        )
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
    quote_note = ""
    sending = (
        entry("operator", "send_to", lang, what=reading.send_what, email=reading.emails[0])
        if reading.send_what and reading.emails
        else None
    )
    for outcome in results.get("update_next_action", []):
        created = outcome.get("created") or {}
        updated = outcome.get("updated") or {}
        if sending and (created.get("description") or "").startswith(sending):
            what, email = reading.send_what, reading.emails[0]
            parts.append(message("will_send", lang, what=what, email=email))
        elif _PROMISE_PREFIXES.match(created.get("description") or ""):
            continue  # the check this reply promises (below)
        elif reading.intent == "complaint":
            parts.append(message("complaint", lang))
        elif reading.intent == "accept":
            parts.append(message("accepted", lang))
        elif reading.intent == "quote":
            amount = f" ({reading.amounts[0]})" if reading.amounts else ""
            quote_note = message("quote_registered", lang, amount_part=amount)
            parts.append(quote_note)
        elif updated.get("due"):
            parts.append(message("rescheduled", lang, when=when(updated["due"])))
        elif created.get("due"):
            parts.append(message("scheduled", lang, when=when(created["due"])))
    for outcome in results.get("update_customer_profile", []):
        profile = outcome.get("profile") or {}
        if profile.get("email") and reading.emails and not sending:
            parts.append(message("email_saved", lang, email=profile["email"]))
        if profile.get("calls") == "declined" and reading.declines_calls:
            parts.append(message("calls_declined", lang))
    if reading.intent == "no_calls":
        return " ".join(parts) or message("calls_declined", lang)
    if reading.intent == "send_whatsapp":
        # Already on WhatsApp (or in the console): the recap is the answer itself.
        return recap(context, lang) or message("no_context", lang)
    done = len(parts)  # what was done for a request; what follows answers the question
    hits = [h for r in results.get("recall_conversations", []) for h in r.get("results", [])]
    explicit = (reading.intent in ("recall", "pending") and not reading.plain_question) or bool(
        _REFERS_BACK.search(fold(text))
    )
    # Found by the kind of fact asked alone (no word of the question, no close meaning): the
    # likeliest answer, said as such, and checked by a person.
    relevant, by_kind_only = answers.relevant_or_by_kind(hits, text, explicit, similar)
    # "¿Cuánto me sale todo?" when the call gave a price per night and the nights: the sum.
    total = totals.implied_total(text, hits, lang) if reading.intent in ASKING else None
    if total is not None:
        when_said = _date_phrase(total.hit["date"], total.hit["channel"], lang)
        fact = answers.attributed(total.lines, lang)
        parts.append(message("recalled", lang, when=when_said, fact=fact))
        if total.amount is not None:
            reckoned = message("total_reckoned", lang, amount=total.amount, how=total.reckoning)
            parts.append(reckoned)
        if len(split_questions(text)) < 2:
            relevant, by_kind_only = [], False  # the total answers it; no other line needed
    if reading.intent == "complaint" and "?" not in text and not _PROMISED.search(fold(text)):
        relevant = []  # a complaint without a question: the apology, not a quote of the call
    if not relevant and total is None and offers.asks_cheaper(text):
        # "¿No hay algo más económico?": the cheaper option we offered, if we named two prices.
        cheaper = offers.cheapest_offer(offers.ours([], hits))
        source = next((h for h in hits if cheaper and cheaper in h["text"]), None)
        if cheaper and source is not None:
            fact = answers.attributed([f"Agente: {cheaper}"], lang)
            when_said = _date_phrase(source["date"], source["channel"], lang)
            parts.append(message("recalled", lang, when=when_said, fact=fact))
    told_us = _own_details(hits, text)
    if told_us:
        relevant = []  # "¿qué datos te di?": everything they told us, not one line of it
        parts.append(message("your_details", lang, items="; ".join(f"«{x}»" for x in told_us)))
    # By meaning only when nothing in the conversations answers it.
    topic = (
        pending_topic(context, text, None if relevant else similar)
        if reading.intent in ASKING
        else None
    )
    if topic:
        relevant = []  # the call's own pending question: where it stands, not the call's words
        if quote_note in parts:
            parts.remove(quote_note)  # "¿me lo paga?" asks about the open question, no quote
    appointment = _appointment(context, text) if reading.intent == "recall" else None
    if appointment:
        if text.count("?") < 2:
            relevant = []  # the appointment as it stands now, not as the call first set it
        parts.append(message("appointment_due", lang, when=when(appointment["due"])))
    if relevant:
        top, lines, unanswered = answers.answer_parts(relevant, text, hits, similar)
        lines = [ln for ln in lines if total is None or ln.strip() not in total.lines]
        fact = _with_clock_times(
            answers.attributed(lines, lang, answers.yes_no_leads(text, lines, lang)),
            lines,
            text if channel != "voice" else "",  # said aloud, "20:00" is no help
        )
        if lines and total is None:
            when_said = _date_phrase(top["date"], top["channel"], lang)
            parts.append(message("recalled", lang, when=when_said, fact=fact))
        elif lines:
            parts.append(message("recalled_more", lang, fact=fact))  # beside the total
        if by_kind_only:
            parts.append(message("closest_check", lang))
            promise.append(entry("operator", "check_and_answer", lang, question=text[:160]))
        # A question of the message nothing recalled answers: said so, and checked.
        for part in unanswered:
            parts.append(message("part_not_discussed", lang, question=part))
            promise.append(entry("operator", "check_and_answer", lang, question=part[:160]))
    last_call = context.get("last_call") or {}
    profile_fact = _profile_fact(context.get("profile") or {}, text)
    if (
        not relevant
        and total is None
        and profile_fact
        and reading.intent in ("recall", "pending", "unknown")
    ):
        field, value = profile_fact
        parts.append(message(f"profile_{field}", lang, value=value))
    elif (
        not relevant
        and total is None
        and not appointment
        and reading.intent == "recall"
        and _summary_answer(last_call.get("summary") or "", text)
    ):
        parts.append(
            message(
                "recalled",
                lang,
                when=_date_phrase(last_call["date"], "call", lang),
                fact=_quoted(_summary_answer(last_call["summary"], text), lang),
            )
        )
    if (
        reading.intent == "quote"
        and is_question(text, fold(text))
        and not relevant
        and total is None
        and not topic
        and last_call
    ):
        parts.insert(0, message("not_discussed", lang))  # asked, never said: no figure invented
        promise.append(entry("operator", "check_and_answer", lang, question=text[:160]))
    if topic:
        parts.append(message("pending_topic", lang, question=topic))
        promise.append(entry("operator", "answer_pending", lang, question=topic))
    if reading.intent in ("pending", "quote") and context:
        quote_due = [
            a["due"]
            for a in context.get("next_actions") or []
            if a.get("due") and re.search(r"cotiza|quote", fold(a.get("description", "")))
        ]
        if quote_due and not results.get("update_next_action"):
            parts.append(message("quote_pending", lang, due=when(quote_due[0])))
        # A price asked and answered from memory needs no list of what else is open.
        answered = reading.intent == "quote" and (bool(relevant) or total is not None)
        pending = [] if topic or answered else context.get("pending_questions") or []
        steps = [] if answered else context.get("agreed_next_steps") or []
        if pending:
            items = "; ".join(_quoted(p, lang) for p in pending[:3])
            parts.append(message("pending_questions", lang, items=items))
        if steps and not quote_due:
            items = "; ".join(_quoted(x, lang) for x in steps[:3])
            parts.append(message("next_steps", lang, items=items))
    asked_about = answers.Question(text).terms
    if not parts and not hits and reading.intent == "recall" and not last_call:
        return message("no_context", lang)  # nothing on record at all to confirm or recall
    asks = is_question(text, fold(text))
    # (Beside a request done, "mándame la propuesta a … y recuérdame cuánto era…", too.)
    still_open = len(parts) == done if reading.asked_beside else not parts
    if still_open and reading.intent in ("recall", "unknown") and asked_about and asks:
        # Something in particular, never discussed: said plainly, and checked.
        parts.append(message("not_discussed_check", lang))
        promise.append(entry("operator", "check_and_answer", lang, question=text[:160]))
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


def _with_clock_times(fact: str, lines: list[str], text: str) -> str:
    """A time asked, answered by lines that say it in words or on a twelve-hour clock («abren
    a las 19», «a las 8 de la noche»): the clock times after the quote as well, as "19:00"
    and "20:00", so that no reader takes 8 for the morning."""
    if not text or "time" not in answers.Question(text).asked:
        return fact
    times = [t for line in lines for t in clock_times(fold(line))]
    return f"{fact} ({', '.join(dict.fromkeys(times))})" if times else fact


_ASKS_MY_DETAILS = re.compile(
    r"\b(que|cuales) (datos|informacion|detalles) (te|le|les) (di|he dado|pase|conte)"
    r"|\bwhat (details|information|info|data) (did|have) i (give|given|send|sent)"
)


def _own_details(hits: list[dict[str, Any]], text: str) -> list[str]:
    """The customer's own lines in the recalled conversations, oldest first, when they ask
    what they have told us."""
    if not _ASKS_MY_DETAILS.search(fold(text)):
        return []
    lines: list[tuple[str, int, str]] = []
    for h in hits:
        for offset, line in enumerate(h["text"].splitlines()):
            if answers.is_customer(line.strip()):
                said = line.split(":", 1)[1].strip()
                key = (h.get("date") or "", (h.get("first_seq") or 0) + offset)
                lines.append((key[0], key[1], said))
    seen: list[str] = []
    for _, _, said in sorted(lines):
        if said not in seen and fold(said) != fold(text):
            seen.append(said)
    return seen[:5]


# A complaint about something promised: what was promised is worth repeating.
_PROMISED = re.compile(
    r"\b(me iba[ns]? a|iban a|quedaron en|quedaste en|me prometi\w+|you (were going|promised))\b"
)
_APPOINTMENT = re.compile(
    r"\b(cita|visita|demo|clase|prueba|reunion|valoracion|tecnico|appointment|visit|meeting"
    r"|survey|class|booked|agend\w*)"
)
_ASKS_WHEN = re.compile(
    r"\b(cuando|a que hora|que dia|que hora|para que dia|when|what time|what day|sigue en pie)\b"
    r"|\b(era|quedo|queda) (el|la|para)\b"
)


def _appointment(context: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The open appointment a "¿para cuándo quedó la cita?" asks about (the soonest due)."""
    folded = fold(text)
    if not (_ASKS_WHEN.search(folded) and _APPOINTMENT.search(folded)):
        return None
    if answers.Question(text).kinds - {"day", "time"}:
        return None  # it asks something else too (a price): the call answers that
    actions = [
        a
        for a in context.get("next_actions") or []
        if a.get("status") == "open"
        and a.get("due")
        and a.get("type") != "call"
        and _APPOINTMENT.search(fold(a.get("description", "")))
    ]
    now = datetime.now(UTC).isoformat()
    # The next one still ahead; if all have passed, the latest.
    ahead = sorted((a for a in actions if a["due"] >= now), key=lambda a: a["due"])
    past = sorted((a for a in actions if a["due"] < now), key=lambda a: a["due"], reverse=True)
    return (ahead + past)[0] if actions else None


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
