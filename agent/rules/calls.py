"""Reading a finished call with rules: pending questions, promises with their dates, budget,
objections, topics and sentiment, from the transcript alone (Spanish and English)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from agent.rules.intents import classify, fold
from agent.rules.when import parse_when, part_of_day
from memory import CallRecord

_QUESTION = re.compile(
    r"\?|^\W*(y )?(que|cual|cuanto|cuando|como|donde|incluye|tienen|hay|puedo|pueden|what|how"
    r"|when|where|does|do|is|are|can|will)\b"
)
CHECK_LATER = re.compile(
    r"\b(verific|consult|confirm|revis|averigu|let me check|i'?ll check|get back to you"
    r"|find out)\w*"
)
_PROMISE = re.compile(
    r"\b((te|le|les) (envio|enviamos|mando|mandamos|llamo|llamamos|confirmo|agendo|escribo)"
    r"|(lo|la) (llamo|llamamos)|quedamos|agendamos|agendado|i'?ll (send|call)|we'?ll (send|call)"
    r"|i will (send|call)|scheduled|booked)\b"
)
_CALL_PROMISE = re.compile(
    r"\b((te|le|lo|la|les) (llamo|llamamos)|i'?ll call|we'?ll call|call you)\b"
)
_AGREE = re.compile(r"^\W*(si|claro|dale|listo|perfecto|ok|vale|de acuerdo|yes|sure|sounds good)\b")
_REFUSAL = re.compile(r"\b(no|pero|but|not|can'?t|cannot)\b")
_CUSTOMER_PROMISE = re.compile(
    r"\b(yo )?(te|les|le) (confirmo|aviso|escribo|envio|mando)\b|\bi'?ll (let you know|confirm)"
)
_OBJECTION = re.compile(
    r"\b(muy caro|costoso|caro|no estoy segur[oa]|no me convence|lo voy a pensar|pensarlo"
    r"|(hablar|consultar)(lo)? con mi (esposo|esposa|pareja|socio|familia|jefe)|too expensive"
    r"|not sure|think about it|talk to my (wife|husband|partner))\b"
)
_BUDGET_WORDS = re.compile(
    r"\b(invertir|inversion|presupuesto|maximo|podemos pagar|podriamos pagar|nos alcanza"
    r"|pagar al mes|budget|afford|spend|up to|at most)\b"
)
_POSITIVE = re.compile(r"\b(perfecto|excelente|me encanta|genial|me parece bien|great|perfect)\b")
TOPICS = {
    "precio": r"precio|cotiz|cuesta|saldria|pagar|presupuesto|price|quote|budget",
    "instalación": r"instala|install",
    "financiación": r"financ|cuotas|credito|banco|financing",
    "garantía": r"garantia|warranty",
    "visita/demo": r"demo|visita|cita|reunion|meeting",
    "soporte": r"soporte|falla|problema|support|issue",
}


@dataclass
class AgreedStep:
    text: str  # the sentence that made the promise (the action's detail)
    due: datetime | None = None
    kind: str = "follow_up"  # "call" when the promise is to call the customer at a time
    # The due date names only a part of the day ("morning"…) or only the day ("day"): no
    # clock time was said, and none is shown.
    part: str | None = None
    by_customer: bool = False  # the customer promised it ("yo le confirmo el lunes")


@dataclass
class CallReading:
    intent: str = "unknown"
    pending: list[str] = field(default_factory=list)
    steps: list[AgreedStep] = field(default_factory=list)
    objections: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    sentiment: str = "neutral"
    budget: str | None = None
    email: str | None = None


def read_call(call: CallRecord, now: datetime) -> CallReading:
    """`now`: the call's start in the business's time zone (dates are relative to it)."""
    turns = [t for t in call.turns if (t.text or "").strip()]
    reading = CallReading()
    customer = [t.text for t in turns if t.role == "customer"]
    intents = [classify(line, now).intent for line in customer]
    ranked = [i for i in intents if i not in ("unknown", "greeting", "thanks", "bye")]
    reading.intent = max(set(ranked), key=ranked.count) if ranked else "unknown"
    asked_call: AgreedStep | None = None  # "llámenme el lunes a las 6 pm", until answered
    for i, turn in enumerate(turns):
        text = turn.text.strip()
        folded = fold(text)
        following = fold(turns[i + 1].text) if i + 1 < len(turns) else ""
        if turn.role == "customer":
            if _QUESTION.search(folded) and (not following or _defers(following)):
                reading.pending.append(_question(text))
            entities = classify(text, now)
            if entities.amounts and reading.budget is None and _BUDGET_WORDS.search(folded):
                reading.budget = entities.amounts[0]
            if entities.emails and reading.email is None:
                reading.email = entities.emails[0]
            if entities.intent == "callback" and entities.when is not None:
                asked_call = AgreedStep(text, entities.when, "call", entities.part_of_day)
            elif _CUSTOMER_PROMISE.search(folded):
                due = parse_when(folded, now)
                part = part_of_day(folded) if due else None
                reading.steps.append(
                    AgreedStep(f"Cliente: {text}", due, part=part, by_customer=True)
                )
            continue
        steps = _agent_steps(text, following, now)
        if asked_call is not None:
            _agree_to_call(steps, asked_call, text)
            asked_call = None
        reading.steps.extend(steps)
    reading.objections = [t for t in customer if _OBJECTION.search(fold(t))]
    everything = fold(" ".join(t.text for t in turns))
    reading.topics = [name for name, pattern in TOPICS.items() if re.search(pattern, everything)]
    if reading.intent in ("unknown", "provide_info") and "precio" in reading.topics:
        reading.intent = "quote"  # a budget talked through on a sales call is a quote in progress
    if any(i in ("anger", "complaint") for i in intents):
        reading.sentiment = "negative"
    elif _POSITIVE.search(fold(" ".join(customer))):
        reading.sentiment = "positive"
    return reading


_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
# Clauses of one sentence: "le envío la cotización el jueves, y el sábado va el técnico".
_CLAUSE = re.compile(r"[.!?;]\s+|,\s*(?:y|and|pero|but)\s+|\s+y\s+(?=(?:el|la|los|las|mañana)\b)")


_ANSWERS = re.compile(r"^\W*(si|yes|no|claro|sure|of course|correct|exacto|asi es)\b")
_CHECKS = re.compile(
    r"\b(verific|consult|averigu|revis\w+ (con|y)|let me check|i'?ll check|find out)"
)


def _defers(reply: str) -> bool:
    """The agent's reply leaves the question open ("lo verifico y le confirmo"), rather than
    answering it and saying something else will be confirmed ("Yes, the transfer is 35 dollars;
    we ask a deposit to confirm")."""
    if not CHECK_LATER.search(reply):
        return False
    return not _ANSWERS.search(reply) or bool(_CHECKS.search(reply))


def _agent_steps(text: str, following: str, now: datetime) -> list[AgreedStep]:
    """The promises of one agent turn, each with its own date."""
    folded = fold(text)
    if not _PROMISE.search(folded):
        return []
    # A promise asked as a question counts once the customer agrees.
    if "?" in text and not _AGREE.search(following):
        return []
    sentences = [x for x in _SENTENCE.split(text) if x.strip()]
    promised = [x for x in sentences if _PROMISE.search(fold(x))]
    # Two promises in one turn ("Queda agendado el viernes. Le envío la cotización
    # mañana.") are two steps, each with its own date.
    steps = [_step(part, now) for part in (promised if len(promised) >= 2 else [text])]
    return [s for s in steps if s is not None]


def _agree_to_call(steps: list[AgreedStep], asked: AgreedStep, answer: str) -> None:
    """The customer asked to be called at a time ("llámenme el lunes a las 6 pm"); `steps` are
    the promises of the agent's answer.

    A call the agent promises at a clock time keeps its time (what was agreed last); one it
    promises for a part of the day or the day only ("la llamamos el lunes en la tarde") takes
    the customer's clock time for that same day; a plain yes ("Claro, con gusto") books the
    customer's time. A counter-question, a "no", or an answer about something else books
    nothing."""
    calls = [s for s in steps if s.kind == "call"]
    for step in calls:
        vague = step.part is not None and asked.part is None
        if vague and step.due and asked.due and step.due.date() == asked.due.date():
            step.due, step.part = asked.due, None
    folded = fold(answer)
    if not calls and _AGREE.search(folded) and "?" not in answer and not _REFUSAL.search(folded):
        steps.append(AgreedStep(asked.text, asked.due, "call", asked.part))


def _step(text: str, now: datetime) -> AgreedStep | None:
    """A promise with the date of its own clause: the day named next to the promise, not one
    said about something else in the same sentence (the whole text's when none is)."""
    folded = fold(text)
    clauses = [c for c in _CLAUSE.split(text) if c and c.strip()]
    promise = next((c for c in clauses if _PROMISE.search(fold(c))), text)
    due = parse_when(fold(promise), now) or parse_when(folded, now)
    is_call = bool(_CALL_PROMISE.search(folded))
    # "Le habla Laura, la llamo de Sol Andino" is a greeting; a call is a promise only
    # with a time.
    if is_call and due is None:
        return None
    part = (part_of_day(fold(promise)) or part_of_day(folded)) if due else None
    return AgreedStep(text, due, "call" if is_call else "follow_up", part)


def _question(text: str) -> str:
    """The question itself ("Bueno. Otra cosa, ¿y eso incluye…?" → "¿Y eso incluye…?")."""
    match = re.search(r"¿[^?¿]+\?", text)
    if match is None:
        return text
    question = match.group(0)
    return question[0] + question[1].upper() + question[2:]
