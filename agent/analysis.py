"""Call analysis: summary, intent, topics, pending questions, agreed next steps, objections and
sentiment of a finished call, stored as insights and next actions.

With an LLM configured it asks for structured output (a pydantic model); otherwise the rules
read the transcript. ElevenLabs' own summary is used when the call carries one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from agent.rules.intents import LOCAL_TZ, classify, fold, parse_when
from memory import (
    CallRecord,
    Memory,
    SavedCall,
    add_insights,
    create_next_action,
    record_call_analysis,
)

Sentiment = Literal["positive", "neutral", "negative"]


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
        default_factory=list, description="What was agreed to happen next."
    )
    objections: list[str] = Field(default_factory=list)
    sentiment: Sentiment = "neutral"


@dataclass
class AgreedStep:
    text: str
    due: datetime | None = None


@dataclass
class _Reading:
    steps: list[AgreedStep] = field(default_factory=list)


_CHECK_LATER = re.compile(
    r"\b(verific|consult|confirm|revis|averigu|let me check|i'?ll check|get back to you)\w*"
)
_PROMISE = re.compile(
    r"\b(te (envio|enviamos|mando|mandamos|llamo|llamamos|confirmo|agendo)|le (envio|enviamos|llamamos)|"
    r"quedamos|agendamos|agendado|i'?ll send|we'?ll (send|call)|i will send|scheduled)\b"
)
_CALL_ONLY = re.compile(r"\b(te llamo|le llamamos|te llamamos)\b")
_OBJECTION = re.compile(
    r"\b(muy caro|costoso|caro|no estoy seguro|no me convence|lo voy a pensar|too expensive|not sure|think about it)\b"
)
_POSITIVE = re.compile(r"\b(perfecto|excelente|me encanta|genial|gracias|great|perfect|thanks)\b")
_TOPICS = {
    "precio": r"precio|cotiz|cuesta|pagar|presupuesto|price|quote|budget",
    "instalación": r"instalac|install",
    "financiación": r"financ|cuotas|credito|financing",
    "garantía": r"garantia|warranty",
    "demo/visita": r"demo|visita|cita|reunion|meeting",
    "soporte": r"soporte|falla|problema|support|issue",
}


def analyze_with_rules(call: CallRecord) -> tuple[CallAnalysis, list[AgreedStep]]:
    customer_lines = [t.text for t in call.turns if t.role == "customer" and t.text]
    everything = fold(" ".join(t.text for t in call.turns if t.text))
    intents = [classify(line).intent for line in customer_lines]
    ranked = [i for i in intents if i not in ("unknown", "greeting", "thanks", "bye")]
    intent = max(set(ranked), key=ranked.count) if ranked else "unknown"
    pending: list[str] = []
    steps: list[AgreedStep] = []
    for i, turn in enumerate(call.turns):
        text = (turn.text or "").strip()
        folded = fold(text)
        if turn.role == "customer" and "?" in text:
            answer = fold(call.turns[i + 1].text) if i + 1 < len(call.turns) else ""
            if not answer or _CHECK_LATER.search(answer):
                pending.append(text)
        if turn.role == "agent" and _PROMISE.search(folded):
            due = parse_when(folded, call.started_at.astimezone(LOCAL_TZ))
            # "te llamo de Sol Andino" is a greeting; a call is a promise only with a time.
            if due is not None or not _CALL_ONLY.search(folded):
                steps.append(AgreedStep(text, due))
    objections = [t for t in customer_lines if _OBJECTION.search(fold(t))]
    negative = any(i in ("anger", "complaint") for i in intents)
    sentiment: Sentiment = (
        "negative"
        if negative
        else ("positive" if _POSITIVE.search(fold(" ".join(customer_lines))) else "neutral")
    )
    topics = [name for name, pattern in _TOPICS.items() if re.search(pattern, everything)]
    if intent in ("unknown", "provide_info") and "precio" in topics:
        intent = "quote"  # a budget talked through on a sales call is a quote in progress
    summary = call.summary or _summary(customer_lines, steps)
    analysis = CallAnalysis(
        summary=summary,
        intent=intent,
        topics=topics,
        pending_questions=pending,
        next_steps=[s.text for s in steps],
        objections=objections,
        sentiment=sentiment,
    )
    return analysis, steps


def _summary(customer_lines: list[str], steps: list[AgreedStep]) -> str:
    said = " ".join(customer_lines[:3])[:300]
    agreed = f" Acordado: {steps[0].text[:160]}" if steps else ""
    return f"El cliente dijo: {said}.{agreed}".strip()


async def analyze_with_llm(model: BaseChatModel, call: CallRecord) -> CallAnalysis:
    transcript = "\n".join(f"{t.role}: {t.text}" for t in call.turns if t.text)
    structured = model.with_structured_output(CallAnalysis)
    prompt = (
        "Analiza esta llamada de ventas/servicio. Usa solo lo que está en la transcripción."
        f"\nResumen de ElevenLabs: {call.summary or '-'}\n\n{transcript}"
    )
    result = await structured.ainvoke(prompt)
    assert isinstance(result, CallAnalysis)
    return result


async def analyze_and_store_call(
    memory: Memory, saved: SavedCall, call: CallRecord, *, model: BaseChatModel | None = None
) -> CallAnalysis:
    """Analyse a stored call and store summary, insights and next actions (once per call)."""
    rules, steps = analyze_with_rules(call)
    analysis = rules
    if model is not None and not model._llm_type.startswith("hilo-rules"):
        analysis = await analyze_with_llm(model, call)
    await record_call_analysis(
        memory,
        saved.interaction_id,
        summary=analysis.summary,
        intent=analysis.intent,
        sentiment=analysis.sentiment,
        analysis={"hilo": analysis.model_dump()},
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
    due_by_text = {s.text: s.due for s in steps}
    for step in analysis.next_steps:
        await create_next_action(
            memory,
            saved.customer.id,
            step,
            type="follow_up",
            due_at=due_by_text.get(step),
            created_by="call_analysis",
            source_interaction_id=saved.interaction_id,
        )
    return analysis
