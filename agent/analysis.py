"""Call analysis: summary, intent, topics, pending questions, agreed next steps (with due
dates), objections, sentiment, budget and product interest of a finished call, stored as the
call's analysis, insights, next actions and profile fields.

`read_call_analysis` is the one place the engine is chosen: any model is asked for structured
output (`CallAnalysis`, which carries the due dates and the email itself); a model that offers
none (the offline rules model) or fails leaves the call to the rules' reading of the transcript
(the call is stored already, and a retried ingest job would skip it, so the analysis must not
be lost). The rules never run on the LLM's path. ElevenLabs' own analysis is used
when the call carries one: its `transcript_summary`, `call_successful` and the
`data_collection_results` whose ids are profile fields (budget, product_interest, …).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
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

log = logging.getLogger(__name__)
Sentiment = Literal["positive", "neutral", "negative"]
_PLATFORM_KEYS = ("transcript_summary", "call_successful", "data_collection_results")


class DueStep(BaseModel):
    step: str = Field(..., description="One of next_steps, exactly as written there.")
    due: datetime = Field(
        ..., description="When it is due, resolved against the call date: ISO 8601 local time."
    )
    kind: Literal["follow_up", "call"] = Field(
        "follow_up", description="call: the promise is to call the customer at that time."
    )


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


@dataclass
class CallReadout:
    """A call's analysis and what storing it needs: dated steps, the email, the engine."""

    analysis: CallAnalysis
    steps: list[AgreedStep]  # one per analysis.next_steps, with due date and kind
    email: str | None
    engine: str  # rules | llm | rules (llm failed)


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
        platform=json.dumps(
            {k: platform[k] for k in _PLATFORM_KEYS if platform.get(k)}, ensure_ascii=False
        ),
        transcript="\n".join(f"{t.role}: {t.text}" for t in _as_read(call).turns if t.text),
    )
    result = await model.with_structured_output(CallAnalysis).ainvoke(prompt)
    assert isinstance(result, CallAnalysis)
    return result


async def read_call_analysis(
    model: BaseChatModel | None, call: CallRecord, timezone: str = "America/Bogota"
) -> CallReadout:
    """The call's analysis by the model's structured output, else by the rules (see the
    module docstring): the one place the engine is chosen."""
    local_start = call.started_at.astimezone(ZoneInfo(timezone))
    if model is not None:
        try:
            analysis = await analyze_with_llm(model, call, timezone)
        except NotImplementedError:
            pass  # a model without structured output (the rules model): the rules read it
        except Exception:  # noqa: BLE001 - any LLM failure: keep the rules' reading
            log.warning("call analysis by the LLM failed; rules used", exc_info=True)
            return _rules_readout(call, timezone, "rules (llm failed)")
        else:
            dated = {d.step: d for d in analysis.due_dates}
            steps = []
            for text in analysis.next_steps:
                given = dated.get(text)
                if given is not None:
                    due = given.due
                    if due.tzinfo is None:
                        due = due.replace(tzinfo=local_start.tzinfo)
                    steps.append(AgreedStep(text, due, given.kind))
                else:  # no date given for it: read one from the model's own words, if any
                    read = parse_when(fold(text), local_start)
                    part = part_of_day(fold(text)) if read else None
                    steps.append(AgreedStep(text, read, part=part))
            return CallReadout(analysis, steps, analysis.email, "llm")
    return _rules_readout(call, timezone, "rules")


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
    readout = await read_call_analysis(model, call, timezone)
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
