"""The checks of one case: what each turn must (not) do, and what the case as a whole must not.

Turn checks: reply or silence, tools called and not called, mentions (case- and accent-
insensitive, whole words), must-not-mention (groundedness), escalation and opt-out state after
the turn, next actions. Case checks: the post-call follow-up, leaks (another customer's phone,
full name or recalled memory reaching this customer) and wrong recipients (any message written,
during the turns, to anyone but this customer or to a `no_message_to` number).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent import TurnResult
from agent.rules.when import format_when
from evals.cases import Case, Turn
from memory import (
    Memory,
    current_escalation,
    get_customer,
    list_next_actions,
)
from memory.audit import SentMessage, interaction_owners, outbound_messages

# Tools with effects: calling one the turn did not ask for is a false positive. Reading memory
# (recall, context) is never wrong by itself.
ACTING_TOOLS = {
    "update_next_action",
    "update_customer_profile",
    "send_whatsapp",
    "escalate_to_human",
    "schedule_callback",
}
RECALL_K = 3


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class TurnOutcome:
    index: int
    customer: str
    reply: str | None
    skipped: str | None
    tool_calls: list[dict[str, Any]]
    recalled: list[dict[str, Any]]
    latency_ms: float
    prompt_tokens: int
    escalated: bool = False  # an escalation is open after the turn
    opted_out: bool = False  # the customer is opted out after the turn
    checks: list[Check] = field(default_factory=list)
    expected_tools: list[str] = field(default_factory=list)
    forbidden_tools: list[str] = field(default_factory=list)
    expected_escalate: bool = False
    expected_opt_out: bool = False
    recall_at_k: float | None = None  # None: the turn names no evidence
    leaked_chunks: int = 0
    judge: dict[str, Any] | None = None  # LLM-as-judge grades, with --judge

    @classmethod
    def from_result(cls, index: int, text: str, result: TurnResult) -> TurnOutcome:
        return cls(
            index=index,
            customer=text,
            reply=result.reply,
            skipped=result.skipped,
            tool_calls=result.tool_calls,
            recalled=result.recalled,
            latency_ms=result.latency_ms,
            prompt_tokens=result.prompt_tokens,
        )

    @property
    def tools_called(self) -> list[str]:
        return [c["name"] for c in self.tool_calls]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class CaseOutcome:
    case_id: str
    customer_id: int | None = None
    turns: list[TurnOutcome] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    call_summary: str | None = None
    followup: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)  # every outbound message
    leak_violations: int = 0
    wrong_recipient_violations: int = 0
    groundedness_violations: int = 0

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.all_checks())

    def all_checks(self) -> list[Check]:
        return [c for t in self.turns for c in t.checks] + self.checks


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def mentions(text: str | None, term: str) -> bool:
    """`term` appears in `text` as whole words, ignoring case and accents."""
    if not text:
        return False
    pattern = r"(?<![0-9a-zñ])" + re.escape(fold(term).strip()) + r"(?![0-9a-zñ])"
    return re.search(pattern, fold(text)) is not None


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def same_phone(a: str, b: str) -> bool:
    """Numbers compared on their last ten digits (the national number for +57 and +1)."""
    da, db = digits(a), digits(b)
    return bool(da) and bool(db) and da[-10:] == db[-10:]


async def check_turn(
    memory: Memory,
    customer_id: int,
    turn: Turn,
    out: TurnOutcome,
    *,
    timezone: str = "America/Bogota",
    language: str = "es",
) -> None:
    expect = turn.expect
    out.expected_tools = list(expect.tools)
    out.forbidden_tools = list(expect.forbidden_tools)
    out.expected_escalate = expect.escalate
    out.expected_opt_out = expect.opt_out
    reply, called = out.reply, set(out.tools_called)
    checks = out.checks
    if expect.no_reply:
        checks.append(Check("no_reply", reply is None, f"replied: {reply!r}" if reply else ""))
    else:
        checks.append(Check("reply", bool(reply), f"no reply ({out.skipped or 'empty'})"))
    missing = [t for t in expect.tools if t not in called]
    if expect.tools:
        checks.append(Check("tools", not missing, f"not called: {', '.join(missing)}"))
    used = sorted(called & set(expect.forbidden_tools))
    if expect.forbidden_tools:
        checks.append(Check("forbidden_tools", not used, f"called: {', '.join(used)}"))
    for group in expect.mentions_any:
        found = any(mentions(reply, term) for term in group)
        checks.append(Check("mentions", found, "" if found else f"none of {group}"))
    said = [term for term in expect.must_not_mention if mentions(reply, term)]
    if expect.must_not_mention:
        checks.append(Check("must_not_mention", not said, f"said: {', '.join(said)}"))
    escalation = await current_escalation(memory, customer_id)
    out.escalated = escalation is not None
    checks.append(
        Check(
            "escalate",
            out.escalated == expect.escalate,
            f"expected escalated={expect.escalate}, was {out.escalated}",
        )
    )
    customer = await get_customer(memory, customer_id)
    out.opted_out = customer.opted_out
    checks.append(
        Check(
            "opt_out",
            out.opted_out == expect.opt_out,
            f"expected opted_out={expect.opt_out}, was {out.opted_out}",
        )
    )
    if expect.next_action is not None:
        actions = await list_next_actions(memory, customer_id)
        wanted, unwanted = expect.next_action.contains_any, expect.next_action.not_contains
        shown = [
            operator_text(a.description, a.due_at, timezone, language, a.meta.get("window"))
            for a in actions
        ]
        found = any(fold(w) in fold(text) for text in shown for w in wanted)
        open_ = "; ".join(shown) or "none"
        checks.append(Check("next_action", found, f"none of {wanted} in open actions: {open_}"))
        if unwanted:
            said = [u for u in unwanted if any(fold(u) in fold(text) for text in shown)]
            detail = f"{', '.join(said)} in open actions: {open_}"
            checks.append(Check("next_action_not", not said, detail))
    if turn.evidence:
        out.recall_at_k = recall_at_k(out.recalled, turn.evidence, RECALL_K)
    for check in checks:
        if check.passed:
            check.detail = ""


def operator_text(
    description: str,
    due: datetime | None,
    timezone: str,
    language: str,
    window: str | None = None,
) -> str:
    """A next action as an operator reads it: its description and its due time as the
    dashboard shows it (business time zone; a window said without a clock time as that window,
    "2026-12-08 en la mañana"), with the day named in the customer's language ("Llamar … ·
    2026-12-07 18:00 · el lunes 7 de diciembre a las 18:00")."""
    if due is None:
        return description
    local = due.astimezone(ZoneInfo(timezone))
    windows = {"morning": "en la mañana", "afternoon": "en la tarde", "evening": "en la noche"}
    if window in windows:
        board = f"{local:%Y-%m-%d} {windows[window]}"
    elif window == "day":
        board = f"{local:%Y-%m-%d}"
    else:
        board = f"{local:%Y-%m-%d %H:%M}"
    said = format_when(due, language, timezone, window)
    return f"{description} · {board} · {said}"


def recall_at_k(recalled: list[dict[str, Any]], evidence: list[int], k: int) -> float:
    """Share of the evidence turns covered by the call chunks among the first `k` results the
    agent recalled (in its ranking)."""
    call_chunks = [r for r in recalled[:k] if r.get("channel") == "call"]
    covered = {
        e
        for e in evidence
        for r in call_chunks
        if int(r.get("first_seq", -1)) <= e <= int(r.get("last_seq", -1))
    }
    return len(covered) / len(set(evidence))


async def check_case(
    memory: Memory, case: Case, out: CaseOutcome, *, setup_until: int, other_ids: list[int]
) -> None:
    customer_id = out.customer_id
    assert customer_id is not None
    sent = await outbound_messages(memory)
    out.messages = [
        {"id": m.id, "to": m.phone, "role": m.role, "text": m.text, "status": m.delivery_status}
        for m in sent
    ]
    conversation_id = (case.call or {}).get("data", {}).get("conversation_id")
    followups = [
        m
        for m in sent
        if m.customer_id == customer_id
        and conversation_id
        and m.meta.get("followup_for") == conversation_id
    ]
    if followups:
        out.followup = followups[0].text
    if case.followup is not None:
        _check_followup(case, out, followups)
    _check_recipients(case, out, sent, customer_id, setup_until)
    await _check_leaks(memory, case, out, sent, customer_id, other_ids)
    out.groundedness_violations = sum(
        1 for c in out.all_checks() if c.name.endswith("must_not_mention") and not c.passed
    )


def _check_followup(case: Case, out: CaseOutcome, followups: list[SentMessage]) -> None:
    expect = case.followup
    assert expect is not None
    delivered = [m for m in followups if m.delivery_status != "failed"]
    if not expect.sent:
        out.checks.append(Check("followup_not_sent", not delivered, f"sent: {out.followup!r}"))
        return
    out.checks.append(Check("followup_sent", bool(delivered), "no follow-up was sent"))
    text = delivered[0].text if delivered else ""
    for group in expect.mentions_any:
        found = any(mentions(text, term) for term in group)
        out.checks.append(Check("followup_mentions", found, "" if found else f"none of {group}"))
    said = [term for term in expect.must_not_mention if mentions(text, term)]
    if expect.must_not_mention:
        out.checks.append(
            Check("followup_must_not_mention", not said, f"said: {', '.join(said)}" if said else "")
        )


def _check_recipients(
    case: Case, out: CaseOutcome, sent: list[SentMessage], customer_id: int, setup_until: int
) -> None:
    forbidden = {p for t in case.turns for p in t.expect.no_message_to}
    # Setup (the calls of `others`, their follow-ups) is not the agent's doing; from the first
    # turn on, a message to anyone but this customer, or to a listed number, is a violation.
    wrong = [
        m
        for m in sent
        if m.id > setup_until
        and (m.customer_id != customer_id or any(same_phone(m.phone, p) for p in forbidden))
    ]
    out.wrong_recipient_violations = len(wrong)
    out.checks.append(
        Check(
            "wrong_recipient",
            not wrong,
            "; ".join(f"message {m.id} to {m.phone}" for m in wrong),
        )
    )


async def _check_leaks(
    memory: Memory,
    case: Case,
    out: CaseOutcome,
    sent: list[SentMessage],
    customer_id: int,
    other_ids: list[int],
) -> None:
    texts = [m.text for m in sent if m.customer_id == customer_id]
    texts += [t.reply or "" for t in out.turns]
    problems: list[str] = []
    for other in case.others:
        number = digits(other.customer.phone)[-10:]
        if any(number in digits(text) for text in texts):
            problems.append(f"phone of {other.customer.phone}")
        name = (other.customer.name or "").strip()
        own = (case.customer.name or "").strip()
        if (
            len(name.split()) >= 2
            and fold(name) != fold(own)
            and any(mentions(text, name) for text in texts)
        ):
            problems.append(f"name {name!r}")
    recalled = [r for t in out.turns for r in t.recalled if r.get("interaction_id") is not None]
    owners = await interaction_owners(memory, [int(r["interaction_id"]) for r in recalled])
    foreign = [r for r in recalled if owners.get(int(r["interaction_id"])) != customer_id]
    for turn in out.turns:
        turn.leaked_chunks = sum(
            1
            for r in turn.recalled
            if r.get("interaction_id") is not None
            and owners.get(int(r["interaction_id"])) != customer_id
        )
    if foreign:
        problems.append(f"{len(foreign)} recalled chunk(s) of another customer")
    out.leak_violations = len(problems)
    out.checks.append(Check("no_leak", not problems, "; ".join(problems)))
