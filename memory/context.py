"""`customer_context`: everything a prompt needs to know about a customer, in one read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from memory.actions import INSIGHTS_SQL, NEXT_ACTIONS_SQL, Insight, NextAction
from memory.customers import CUSTOMER_SQL, Customer
from memory.errors import UnknownCustomer
from memory.escalations import CURRENT_ESCALATION_SQL, Escalation
from memory.messages import TIMELINE_SQL, Message
from memory.store import Memory

WHATSAPP_WINDOW = timedelta(hours=24)


@dataclass
class LastCall:
    interaction_id: int
    started_at: datetime
    summary: str | None
    intent: str | None
    sentiment: str | None
    direction: str | None
    duration_secs: int | None


@dataclass
class CustomerContext:
    customer: Customer
    last_call: LastCall | None
    topics: list[str]
    pending_questions: list[str]
    agreed_next_steps: list[str]
    objections: list[str]
    next_actions: list[NextAction]
    escalation: Escalation | None
    recent_messages: list[Message] = field(default_factory=list)
    whatsapp_window_open: bool = False

    @property
    def human_owned(self) -> bool:
        return self.escalation is not None

    def as_dict(self) -> dict[str, Any]:
        """A compact JSON-able view (what tools return and prompts are built from)."""
        return {
            "name": self.customer.name,
            "phone": self.customer.phone,
            "language": self.customer.language,
            "profile": self.customer.profile,
            "opted_out": self.customer.opted_out,
            "last_call": (
                {
                    "date": self.last_call.started_at.date().isoformat(),
                    "summary": self.last_call.summary,
                    "intent": self.last_call.intent,
                    "sentiment": self.last_call.sentiment,
                }
                if self.last_call
                else None
            ),
            "topics": self.topics,
            "pending_questions": self.pending_questions,
            "agreed_next_steps": self.agreed_next_steps,
            "objections": self.objections,
            "next_actions": [
                {
                    "id": a.id,
                    "type": a.type,
                    "description": a.description,
                    "priority": a.priority,
                    "due": a.due_at.isoformat() if a.due_at else None,
                    "status": a.status,
                }
                for a in self.next_actions
            ],
            "escalation": (
                {"status": self.escalation.status, "reason": self.escalation.reason}
                if self.escalation
                else None
            ),
            "whatsapp_window_open": self.whatsapp_window_open,
            "recent_messages": [
                {
                    "channel": m.channel,
                    "role": m.role,
                    "text": m.text,
                    "at": m.created_at.isoformat(),
                }
                for m in self.recent_messages
            ],
        }


LAST_CALL_SQL = """SELECT id AS interaction_id, started_at, summary, intent, sentiment,
                          direction, duration_secs
                   FROM interactions WHERE customer_id = %s AND channel = 'call'
                     AND status <> 'live'
                   ORDER BY started_at DESC, id DESC LIMIT 1"""


async def customer_context(
    memory: Memory, customer_id: int, *, recent: int = 10
) -> CustomerContext:
    """Profile, last call, open pending questions and next steps, open next actions,
    escalation state and the last `recent` messages across channels.

    One connection and one round trip: the six reads go in a pipeline (each with its own
    module's SQL), so the context costs one wait for the database, not six (this is on the
    path before the model on every spoken turn of a live call)."""
    reads: list[tuple[str, tuple[Any, ...]]] = [
        (CUSTOMER_SQL, (customer_id,)),
        (LAST_CALL_SQL, (customer_id,)),
        (INSIGHTS_SQL, (customer_id, None, None, False)),
        (NEXT_ACTIONS_SQL, (customer_id, True)),
        (CURRENT_ESCALATION_SQL, (customer_id,)),
        (TIMELINE_SQL, (customer_id, None, None, recent)),
    ]
    async with memory.pool.connection() as conn:
        async with conn.pipeline():
            cursors = [await conn.execute(sql, params) for sql, params in reads]
        rows = [await cursor.fetchall() for cursor in cursors]
    customer_rows, call_rows, insight_rows, action_rows, escalation_rows, message_rows = rows
    if not customer_rows:
        raise UnknownCustomer(f"no customer with id {customer_id}")
    customer = Customer.from_row(customer_rows[0])
    by_kind: dict[str, list[str]] = {}
    for insight in (Insight(**r) for r in insight_rows):
        by_kind.setdefault(insight.kind, []).append(insight.text)
    now = datetime.now(UTC)
    return CustomerContext(
        customer=customer,
        last_call=LastCall(**call_rows[0]) if call_rows else None,
        topics=by_kind.get("topic", [])[-10:],
        pending_questions=by_kind.get("pending_question", []),
        agreed_next_steps=by_kind.get("next_step", []),
        objections=by_kind.get("objection", []),
        next_actions=[NextAction(**r) for r in action_rows],
        escalation=Escalation(**escalation_rows[0]) if escalation_rows else None,
        recent_messages=[Message.from_row(r) for r in message_rows],
        whatsapp_window_open=bool(
            customer.last_inbound_at and now - customer.last_inbound_at < WHATSAPP_WINDOW
        ),
    )
