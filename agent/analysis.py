"""Call analysis: summary, intent, topics, pending questions, agreed next steps (with due
dates), objections, sentiment, budget and product interest of a finished call, stored as the
call's analysis, insights, next actions and profile fields.

`read_call_analysis` is the one place the engine is chosen: any model is asked for structured
output (`CallAnalysis`, which carries the due dates and the contact details itself); a model
that offers none (the offline rules model) or fails, or whose answer does not fit the schema,
leaves the call to the rules' reading of the transcript (the call is stored already, and a
retried ingest job would skip it, so the analysis must not be lost). A fitting answer is then
checked field by field (`_checked`): a due date that is not a date after the call, or names a
step it does not list, gives way to the date the rules read in the step's words; an email that
is not one (or none given), to the email the rules read in the transcript; a phone that is not a valid number,
or a channel that is not one of ours, to nothing. What gave way is recorded with the analysis
(`rules_fallback`). ElevenLabs' own analysis is used
when the call carries one: its `transcript_summary`, `call_successful` and the
`data_collection_results` whose ids are profile fields (budget, product_interest, …).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

import prompts
from agent.context import READ_CHARS
from agent.language import detect_language
from agent.prompt import spoken_now
from agent.rules.calls import AgreedStep, CallReading, read_call
from agent.rules.entities import entity_kinds
from agent.rules.intents import fold
from agent.rules.when import parse_when, part_of_day
from agent.rules.wording import word_step
from memory import (
    CallRecord,
    Memory,
    SavedCall,
    add_insights,
    create_next_action,
    record_call_analysis,
    update_profile,
)
from memory.customers import PROFILE_FIELDS
from memory.dates import in_range
from memory.errors import InvalidPhone
from memory.phones import normalize_phone

log = logging.getLogger(__name__)
Sentiment = Literal["positive", "neutral", "negative"]
_PLATFORM_KEYS = ("transcript_summary", "call_successful", "data_collection_results")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How the model may name a channel, and ours for it.
_CHANNELS = {
    "whatsapp": "whatsapp",
    "wa": "whatsapp",
    "message": "whatsapp",
    "messages": "whatsapp",
    "call": "call",
    "phone": "call",
    "llamada": "call",
    "telefono": "call",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "correo": "email",
}


class DueStep(BaseModel):
    step: str = Field(..., description="One of next_steps, exactly as written there.")
    due: datetime = Field(
        ..., description="When it is due, resolved against the call date: ISO 8601 local time."
    )
    kind: Literal["follow_up", "call"] = Field(
        "follow_up", description="call: the promise is to call the customer at that time."
    )
    window: Literal["morning", "afternoon", "evening", "day"] | None = Field(
        None,
        description="Only a part of the day was said (morning…), or only the day (day): `due` "
        "is then a moment inside it, and no clock time was promised.",
    )
    by_customer: bool = Field(False, description="The customer promised it, not us.")


class CallAnalysis(BaseModel):
    summary: str = Field(
        ..., description="Two or three sentences: who, what they want, what was agreed."
    )
    intent: str = Field(
        ..., description="The customer's main intent, one or two words (e.g. quote)."
    )
    topics: list[str] = Field(default_factory=list)
    pending_questions: list[str] = Field(
        default_factory=list, description="Customer questions not answered on the call."
    )
    next_steps: list[str] = Field(
        default_factory=list, description="What was agreed to happen next, with day and time."
    )
    objections: list[str] = Field(default_factory=list)
    sentiment: Sentiment = "neutral"
    budget: str | None = Field(None, description="The budget the customer stated, if any.")
    product_interest: str | None = Field(None, description="What the customer wants, if said.")
    due_dates: list[DueStep] = Field(
        default_factory=list, description="The next steps that have a day or time, with it."
    )
    email: str | None = Field(None, description="The customer's email address, if said.")
    phone: str | None = Field(
        None, description="Another phone number the customer gave to be reached on, if said."
    )
    preferred_channel: str | None = Field(
        None, description="whatsapp, call or email: how they prefer to be contacted, if said."
    )
    preferred_time: str | None = Field(
        None, description="When they prefer to be contacted, in a few words, if said."
    )


@dataclass
class CallReadout:
    """A call's analysis and what storing it needs: dated steps, the contact details, the
    engine, and which of the model's fields gave way to the rules' reading."""

    analysis: CallAnalysis
    steps: list[AgreedStep]  # one per analysis.next_steps, with due date and kind
    email: str | None
    engine: str  # rules | llm | rules (llm failed)
    contact: dict[str, str] = field(default_factory=dict)  # contact_phone, preferred_*
    rules_fallback: list[str] = field(default_factory=list)


def elevenlabs_analysis(call: CallRecord) -> dict[str, Any]:
    return dict((call.analysis or {}).get("elevenlabs") or {})


def collected_profile(call: CallRecord) -> dict[str, str]:
    """ElevenLabs data collection results whose ids are profile fields."""
    results = elevenlabs_analysis(call).get("data_collection_results") or {}
    profile = {}
    for key, item in results.items():
        value = item.get("value") if isinstance(item, dict) else item
        if key in PROFILE_FIELDS and value not in (None, "", "null"):
            profile[key] = str(value)[:200]
    return profile


def analyze_with_rules(
    call: CallRecord, timezone: str = "America/Bogota"
) -> tuple[CallAnalysis, CallReading]:
    """The rules' analysis, and their reading (promises with due dates, the email)."""
    reading = read_call(_as_read(call), call.started_at.astimezone(ZoneInfo(timezone)))
    language = customer_language(call)
    platform_summary = call.summary or ""
    # The platform's summary is often in English whatever the call's language: the customer
    # then gets the rules' own summary, in theirs, not a paste in another language.
    same_language = detect_language(platform_summary, language) == language
    summary = (
        platform_summary
        if platform_summary and same_language
        else _summary(call, reading, language)
    )
    analysis = CallAnalysis(
        summary=summary,
        intent=reading.intent,
        topics=reading.topics,
        pending_questions=reading.pending,
        next_steps=[s.text for s in reading.steps],
        objections=reading.objections,
        sentiment=reading.sentiment,  # type: ignore[arg-type]
        budget=reading.budget,
        product_interest=None,
        email=reading.email,
    )
    return analysis, reading


def _as_read(call: CallRecord) -> CallRecord:
    """The call as the analysis reads it: each turn's first `READ_CHARS` characters (what the
    agent reads of a message), so a runaway turn costs the rules and the LLM prompt little."""
    if all(len(t.text) <= READ_CHARS for t in call.turns):
        return call
    return replace(call, turns=[replace(t, text=t.text[:READ_CHARS]) for t in call.turns])


# What an agent's sentence states that a customer keeps: a price, a day, a time, a length of
# time, a place (the kinds of fact questions ask for, `agent.rules.entities`).
_FACT_KINDS = {"amount", "day", "time", "duration", "place", "frequency"}
_FACT_CHARS = 320


def _facts(call: CallRecord) -> list[str]:
    """The agent's sentences that state facts of those kinds, in call order, each once, up to
    a few hundred characters: the call's own words for a summary no platform gave."""
    chosen: list[str] = []
    for turn in call.turns:
        if turn.role != "agent" or not turn.text:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", turn.text.strip()):
            folded = fold(sentence)
            if "?" in sentence or len(sentence) < 12 or sentence in chosen:
                continue
            kinds = entity_kinds(folded) & _FACT_KINDS
            if kinds == {"amount"} and not re.search(r"\d|\bmil\b|\bmillon", folded):
                continue  # "uno", "dos" alone are no price
            if kinds and sum(map(len, chosen)) + len(sentence) <= _FACT_CHARS:
                chosen.append(sentence)
    return chosen


def _summary(call: CallRecord, reading: CallReading, language: str = "es") -> str:
    english = language == "en"
    parts = [call.customer_name or ("Customer" if english else "Cliente")]
    facts = _facts(call)
    if facts:
        parts.append(("we said: " if english else "te dijimos: ") + " ".join(facts).rstrip("."))
    if reading.topics:
        parts.append(("topics: " if english else "temas: ") + ", ".join(reading.topics))
    if reading.budget:
        parts.append(("budget " if english else "presupuesto ") + reading.budget)
    if reading.steps and not facts:  # a dated promise says more than "I'll check and confirm"
        step = sorted(reading.steps, key=lambda s: s.due is None)[0]
        parts.append(("agreed: " if english else "acordado: ") + step.text[:160])
    if reading.pending:
        parts.append(("pending: " if english else "pendiente: ") + reading.pending[0][:120])
    return "; ".join(parts) + "."


async def analyze_with_llm(
    model: BaseChatModel, call: CallRecord, timezone: str = "America/Bogota"
) -> CallAnalysis:
    language = call.language if call.language in ("es", "en") else "es"
    platform = elevenlabs_analysis(call)
    prompt = prompts.render(
        "analysis",
        language,
        business="Hilo",
        call_date=spoken_now(call.started_at.astimezone(ZoneInfo(timezone)), language),
        timezone=timezone,
        customer=call.customer_name or "—",
        platform=json.dumps(
            {k: platform[k] for k in _PLATFORM_KEYS if platform.get(k)}, ensure_ascii=False
        ),
        transcript="\n".join(f"{t.role}: {t.text}" for t in _as_read(call).turns if t.text),
    )
    result = await model.with_structured_output(CallAnalysis).ainvoke(prompt)
    assert isinstance(result, CallAnalysis)
    return result


async def read_call_analysis(
    model: BaseChatModel | None,
    call: CallRecord,
    timezone: str = "America/Bogota",
    default_region: str = "CO",
) -> CallReadout:
    """The call's analysis by the model's structured output, else by the rules (see the
    module docstring): the one place the engine is chosen."""
    if model is not None:
        try:
            analysis = await analyze_with_llm(model, call, timezone)
        except NotImplementedError:
            pass  # a model without structured output (the rules model): the rules read it
        except Exception:  # noqa: BLE001 - any LLM failure: keep the rules' reading
            log.warning("call analysis by the LLM failed; rules used", exc_info=True)
            return _rules_readout(call, timezone, "rules (llm failed)")
        else:
            return _checked(analysis, call, timezone, default_region)
    return _rules_readout(call, timezone, "rules")


def _checked(
    analysis: CallAnalysis, call: CallRecord, timezone: str, default_region: str
) -> CallReadout:
    """The model's analysis with each due date and contact detail checked (see the module
    docstring); what does not hold is read by the rules instead."""
    zone = ZoneInfo(timezone)
    local_start = call.started_at.astimezone(zone)
    fallback: list[str] = []
    steps_by_key = {fold(t).strip(): t for t in analysis.next_steps}
    dated: dict[str, DueStep] = {}
    for item in analysis.due_dates:
        text = steps_by_key.get(fold(item.step).strip())
        if text is None:
            fallback.append(f"due_dates: {item.step[:80]!r} is not one of next_steps")
            continue
        dated.setdefault(text, item)
    steps = []
    for text in analysis.next_steps:
        given = dated.get(text)
        if given is not None:
            # In the business's time zone: a naive time is local, an offset one converted.
            due = given.due.replace(tzinfo=zone) if given.due.tzinfo is None else given.due
            due = due.astimezone(zone)
            if due >= local_start and in_range(due):
                steps.append(AgreedStep(text, due, given.kind, given.window, given.by_customer))
                continue
            fallback.append(f"due_dates: {due.isoformat()} is not after the call")
        # No usable date for it: the rules read one in the model's own words, if any.
        read = parse_when(fold(text), local_start)
        part = part_of_day(fold(text)) if read else None
        kind = given.kind if given is not None else "follow_up"
        steps.append(AgreedStep(text, read, kind if read else "follow_up", part=part))
    email = (analysis.email or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        fallback.append("email")
        email = None
    if email is None:  # not given, or not an address: the rules' reading of the transcript
        email = read_call(_as_read(call), local_start).email
    contact: dict[str, str] = {}
    if analysis.phone:
        try:
            phone = normalize_phone(analysis.phone, default_region)
        except InvalidPhone:
            fallback.append("phone")
        else:
            if phone != call.phone:  # the number of the call is known already
                contact["contact_phone"] = phone
    if analysis.preferred_channel:
        channel = _CHANNELS.get(fold(analysis.preferred_channel).strip())
        if channel is None:
            fallback.append("preferred_channel")
        else:
            contact["preferred_channel"] = channel
    if analysis.preferred_time and analysis.preferred_time.strip():
        contact["preferred_time"] = analysis.preferred_time.strip()[:100]
    if fallback:
        log.info("call analysis: rules used for %s", "; ".join(fallback))
    return CallReadout(analysis, steps, email, "llm", contact, fallback)


def _rules_readout(call: CallRecord, timezone: str, engine: str) -> CallReadout:
    analysis, reading = analyze_with_rules(call, timezone)
    by_text = {s.text: s for s in reading.steps}
    steps = [by_text.get(t) or AgreedStep(t) for t in analysis.next_steps]
    return CallReadout(analysis, steps, analysis.email, engine)


async def analyze_and_store_call(
    memory: Memory,
    saved: SavedCall,
    call: CallRecord,
    *,
    model: BaseChatModel | None = None,
    timezone: str = "America/Bogota",
) -> CallAnalysis:
    """Analyse a stored call and store summary, insights, next actions and profile fields."""
    readout = await read_call_analysis(model, call, timezone, memory.default_region)
    analysis, engine = readout.analysis, readout.engine
    platform = elevenlabs_analysis(call)
    await record_call_analysis(
        memory,
        saved.interaction_id,
        summary=analysis.summary,
        intent=analysis.intent,
        sentiment=analysis.sentiment,
        analysis={
            "hilo": {
                **analysis.model_dump(mode="json"),
                "engine": engine,
                **({"rules_fallback": readout.rules_fallback} if readout.rules_fallback else {}),
                "call_successful": platform.get("call_successful"),
            }
        },
    )
    await add_insights(
        memory,
        saved.customer.id,
        saved.interaction_id,
        [("topic", t) for t in analysis.topics]
        + [("pending_question", q) for q in analysis.pending_questions]
        + [("next_step", s) for s in analysis.next_steps]
        + [("objection", o) for o in analysis.objections],
    )
    local_start = call.started_at.astimezone(ZoneInfo(timezone))
    language = customer_language(call)
    for step in readout.steps:
        due = _future_or_none(step.due, local_start)
        part = step.part if due is not None else None
        meta: dict[str, Any] = {"detail": step.text}
        if part is not None:
            meta["window"] = part
        await create_next_action(
            memory,
            saved.customer.id,
            word_step(
                step.text.removeprefix("Cliente: "),
                kind=step.kind,
                due=due,
                part=part,
                language=language,
                timezone=timezone,
                reference=local_start,
                by_customer=step.by_customer,
            ),
            type=step.kind,
            due_at=due,
            created_by="call_analysis",
            source_interaction_id=saved.interaction_id,
            meta=meta,
        )
    profile = {
        "budget": analysis.budget,
        "product_interest": analysis.product_interest,
        "email": readout.email,
        **readout.contact,
        **collected_profile(call),  # what the platform collected wins
    }
    changes = {k: v for k, v in profile.items() if v}
    if changes:
        await update_profile(memory, saved.customer.id, changes)
    return analysis


def customer_language(call: CallRecord, default: str = "es") -> str:
    """The call's language, else the one the customer's own lines are in (else the agent's,
    else `default`)."""
    if call.language in ("es", "en"):
        return call.language
    said = " ".join(t.text for t in call.turns if t.role == "customer" and t.text)
    ours = " ".join(t.text for t in call.turns if t.role != "customer" and t.text)
    return detect_language(said, detect_language(ours, default))


def _future_or_none(due: datetime | None, start: datetime) -> datetime | None:
    """A step's due date if it is after the call and in the stored range (else undated)."""
    return due if due is not None and due >= start and in_range(due) else None
