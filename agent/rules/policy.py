"""The rules model's policy: which tools a customer message calls for, step by step.

Step one reads the message (intent, entities, the last customer messages) and asks for the
tools that policy needs. Step two reads their results and may ask for one more action that
depends on them (move the appointment the context lists, log a quote request only if none is
open, send a WhatsApp recap on a call). Then the reply is composed (`compose.py`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from agent.optout import is_opt_in
from agent.rules import answers, offers
from agent.rules.entities import is_question
from agent.rules.intents import Reading, fold
from agent.rules.pending import Similar, pending_topic
from prompts import entry, message
from prompts.moments import say_moment

_CALL_MENTION = re.compile(r"\b(llamada|por telefono|on the call|phone call|when you called)\b")
_APPOINTMENT = re.compile(
    r"\b(cita|visita|demo|reunion|meeting|appointment|visit|llam|call|agend\w*|clase|prueba"
    r"|valoracion|tecnico|survey|booked)"
)
_QUOTE = re.compile(r"\b(cotiza|quote)")
# "… o cuánto sale": a price asked mid-sentence, with no mark nor a question word first.
_HOW_MUCH = re.compile(r"\b(cuant[oa]s?|how (much|many))\b")
Results = dict[str, list[dict[str, Any]]]


def tool_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A tool call as a chat model writes one."""
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}


def first_step(
    reading: Reading, text: str, earlier: Sequence[Reading], language: str = "es"
) -> list[dict[str, Any]]:
    """The tool calls for a customer message (may be none). `earlier`: the previous customer
    messages of the thread, most recent last (repeated frustration escalates)."""
    intent = reading.intent
    # "No me llamen más" is recorded whatever else the message does (even when it escalates).
    declines = (
        [tool_call("update_customer_profile", {"calls": "declined"})]
        if reading.declines_calls
        else []
    )
    if intent == "human":
        return [
            tool_call(
                "escalate_to_human",
                {"reason": "El cliente pidió hablar con una persona", "priority": "normal"},
            ),
            *declines,
        ]
    if reading.alarm:
        # A legal step, health at stake, patience run out, money demanded back: a person now.
        return [
            tool_call(
                "escalate_to_human",
                {
                    "reason": f"Requiere atención ({reading.alarm}): {text[:160]}",
                    "priority": "high",
                },
            ),
            *declines,
        ]
    frustrated = sum(r.intent in ("complaint", "anger") for r in earlier[-3:])
    if intent == "anger" or (intent == "complaint" and frustrated >= 1):
        return [
            tool_call(
                "escalate_to_human",
                {"reason": f"Cliente molesto: {text[:160]}", "priority": "high"},
            ),
            *declines,
        ]
    if reading.other_party:
        # Never act on other numbers or other customers; the reply says so. What they wanted
        # sent on is theirs to have here, to forward themselves.
        if reading.forward_what:
            return [tool_call("recall_conversations", {"query": reading.forward_what})]
        return []
    calls: list[dict[str, Any]] = list(declines)
    if intent == "no_calls":
        return calls
    if intent == "choice":
        # Which of our options it names, in our words: step two records it.
        return [
            tool_call("get_customer_context", {}),
            tool_call("recall_conversations", {"query": text}),
        ]
    if reading.emails:
        calls.append(tool_call("update_customer_profile", {"email": reading.emails[0]}))
    if reading.emails and reading.send_what:
        # "Envíenme la propuesta a …": the address saved and the sending itself to be done.
        what, email = reading.send_what, reading.emails[0]
        sending: dict[str, Any] = {
            "description": entry("operator", "send_to", language, what=what, email=email)
        }
        if reading.when is not None:
            # "… el viernes por la mañana": when to send it, in the text an operator reads.
            sending["description"] += " — " + say_moment(
                reading.when,
                language,
                str(getattr(reading.when.tzinfo, "key", "America/Bogota")),
                reading.part_of_day,
                reference=reading.when,
                article=False,
            )
            sending["due"] = reading.when.isoformat()
        calls.append(tool_call("update_next_action", sending))
    if reading.amounts and intent in ("quote", "provide_info"):
        calls.append(tool_call("update_customer_profile", {"budget": reading.amounts[0]}))
    when = reading.when.isoformat() if reading.when else None
    if intent == "schedule" and reading.bare_time and earlier and earlier[-1].intent == "callback":
        intent = "callback"  # "¿Me pueden llamar?" … "Mañana a las 4": the time of that call
    if intent == "complaint":
        # What the call said may answer it (a refund's timing); the words go to the team.
        calls.append(tool_call("recall_conversations", {"query": text}))
        calls.append(
            tool_call(
                "update_next_action",
                {"description": f"Revisar queja: {text[:160]}", "priority": "high"},
            )
        )
    elif intent == "accept":
        calls.append(
            tool_call(
                "update_next_action",
                {"description": f"El cliente aceptó; contratar/activar: {text[:160]}"},
            )
        )
        calls.append(tool_call("get_customer_context", {}))
    elif intent == "callback" and when and reading.when:
        # The tool words the day and time (or the window, "en la mañana") the operator reads;
        # the customer's own words are the reason kept beside it.
        reason = entry("operator", "callback_reason", language, words=text[:200])
        callback: dict[str, Any] = {"when": when, "reason": reason}
        if reading.part_of_day:
            callback["window"] = reading.part_of_day
        calls.append(tool_call("schedule_callback", callback))
    elif intent == "schedule" and reading.reschedule:
        calls.append(tool_call("get_customer_context", {}))  # which appointment to move: step two
    elif intent == "schedule" and when:
        calls.append(
            tool_call(
                "update_next_action",
                {
                    "description": entry(
                        "operator", "appointment", language, when=_moment(reading, language)
                    ),
                    "due": when,
                },
            )
        )
    elif intent == "quote":
        calls.append(tool_call("recall_conversations", {"query": text}))
        calls.append(tool_call("get_customer_context", {}))
    elif intent in ("pending", "send_whatsapp"):
        calls.append(tool_call("get_customer_context", {}))
        if intent == "pending":
            calls.append(tool_call("recall_conversations", {"query": text}))
    elif intent in ("recall", "unknown"):
        args: dict[str, Any] = {"query": text}
        if _CALL_MENTION.search(fold(text)):
            args["channel"] = "call"
        calls.append(tool_call("recall_conversations", args))
        questions = [q.strip() for q in re.findall(r"[^?¿]+\?", text) if len(q.strip()) > 8]
        if len(questions) >= 2:
            # Two questions, two searches: the last one may be about another part of the call.
            calls.append(tool_call("recall_conversations", {**args, "query": questions[-1]}))
        if intent == "recall":
            calls.append(tool_call("get_customer_context", {}))
    return calls


def _moment(reading: Reading, language: str) -> str:
    """ "el martes 8 a las 10:00", "on Tuesday 8 in the morning": the asked moment as the
    operator reads it (business time zone, the customer's language)."""
    assert reading.when is not None
    zone = str(getattr(reading.when.tzinfo, "key", "America/Bogota"))
    return say_moment(reading.when, language, zone, reading.part_of_day, reference=reading.when)


def second_step(
    reading: Reading,
    results: Results,
    channel: str,
    language: str,
    text: str = "",
    similar: Similar | None = None,
) -> list[dict[str, Any]]:
    """One more action that depends on what step one's tools returned (may be none).
    `similar` (sentence embeddings) tells a question about a pending one from a quote asked."""
    if reading.intent == "choice":
        if is_opt_in(text) and offers.named_option(text, results) is None:
            return []  # an opt-in keyword naming nothing we offered: no choice to record
        choice = offers.choice_in(text, results)
        return [
            tool_call(
                "update_next_action",
                {"description": entry("operator", "chose_option", language, choice=choice)},
            )
        ]
    context = (results.get("get_customer_context") or [{}])[0]
    actions = [a for a in context.get("next_actions") or [] if a.get("status") == "open"]
    if reading.intent == "schedule" and reading.reschedule and reading.when:
        when = reading.when.isoformat()
        moving = [
            a
            for a in actions
            if a.get("type") == "call" or _APPOINTMENT.search(fold(a.get("description", "")))
        ]
        moving.sort(key=lambda a: a.get("due") or "9999")
        if moving:
            target = moving[0]
            return [
                tool_call(
                    "update_next_action",
                    {
                        "action_id": target["id"],
                        # The tool re-words the day the text names; what the customer asked
                        # stays with it ("mover la visita técnica"), marked as their words.
                        "description": entry(
                            "operator",
                            "moved_by_customer",
                            language,
                            description=target["description"],
                            words=text[:120],
                        ),
                        "due": when,
                    },
                )
            ]
        return [
            tool_call(
                "update_next_action",
                {
                    "description": entry(
                        "operator", "appointment_moved", language, when=_moment(reading, language)
                    ),
                    "due": when,
                },
            )
        ]
    quote_open = any(_QUOTE.search(fold(a.get("description", ""))) for a in actions)
    if (
        reading.intent == "quote"
        and context
        and not quote_open
        and not reading.send_what
        and not _answered_from_memory(results, text, similar)
        and not pending_topic(context, text, similar)
    ):
        return [tool_call("update_next_action", {"description": "Enviar cotización al cliente"})]
    if reading.intent == "send_whatsapp" and channel == "voice":
        text = recap(context, language)
        if text:
            return [tool_call("send_whatsapp", {"text": text})]
    return []


def _answered_from_memory(results: Results, text: str, similar: Similar | None = None) -> bool:
    """A price asked that the conversations answer ("¿cuánto cuesta la operación?", said on
    the call): a question to answer, not a request for a new quote."""
    folded = fold(text)
    if not text or not (is_question(text, folded) or _HOW_MUCH.search(folded)):
        return False
    hits = [h for r in results.get("recall_conversations", []) for h in r.get("results", [])]
    return bool(answers.relevant(hits, text, explicit=False, similar=similar))


def recap(context: dict[str, Any], language: str) -> str:
    """A short written summary of what memory holds for the customer (may be empty)."""
    parts = []
    summary = (context.get("last_call") or {}).get("summary")
    if summary:
        parts.append(message("recap_summary", language, summary=summary))
    steps = context.get("agreed_next_steps") or []
    if steps:
        parts.append(message("next_steps", language, items="; ".join(steps[:3])))
    pending = context.get("pending_questions") or []
    if pending:
        parts.append(message("pending_questions", language, items="; ".join(pending[:3])))
    return " ".join(parts)
