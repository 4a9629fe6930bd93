"""JSON-able views of a customer's thread, shared by the operator API and the dashboard pages:
one place decides what an operator sees (masked nowhere: operators are signed in and need the
number), so the two never disagree."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from memory import Memory, customer_context, list_insights, timeline
from memory.escalations import as_dict as escalation_dict
from memory.inbox import BoardAction, CustomerRow, QueueItem
from memory.messages import Message


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def customer_row(row: CustomerRow) -> dict[str, Any]:
    data = asdict(row)
    data["last_message_at"] = _iso(row.last_message_at)
    return data


def queue_item(item: QueueItem) -> dict[str, Any]:
    data = asdict(item)
    data["created_at"] = _iso(item.created_at)
    data["last_customer_message_at"] = _iso(item.last_customer_message_at)
    data["waiting_seconds"] = round(item.waiting_seconds)
    return data


def board_action(action: BoardAction) -> dict[str, Any]:
    data = asdict(action)
    data["due_at"] = _iso(action.due_at)
    data["created_at"] = _iso(action.created_at)
    return data


def timeline_item(message: Message) -> dict[str, Any]:
    """One entry of the cross-channel timeline: a call turn, a WhatsApp message (with delivery
    state), a person's message, and the tool calls behind an AI reply."""
    kind = "call_turn" if message.channel == "call" else message.channel
    return {
        "id": message.id,
        "kind": kind,
        "channel": message.channel,
        "direction": message.direction,
        "role": message.role,
        "text": message.text,
        "at": _iso(message.created_at),
        "interaction_id": message.interaction_id,
        "seq": message.seq,
        "media": message.media,
        "delivery_status": message.delivery_status,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "operator": message.meta.get("operator"),
        "tool_calls": message.meta.get("tool_calls", []),
        "followup_for": message.meta.get("followup_for"),
    }


async def customer_profile(memory: Memory, customer_id: int) -> dict[str, Any]:
    """Profile and what the thread knows: last call, pending questions, next steps, actions,
    escalation and whether the 24-hour WhatsApp window is open (UnknownCustomer if none)."""
    context = await customer_context(memory, customer_id, recent=0)
    data = context.as_dict()
    data.pop("recent_messages", None)
    # What each action came from, and a window said instead of a clock time, for the page.
    data["next_actions"] = [
        {**shown, "detail": a.meta.get("detail"), "window": a.meta.get("window")}
        for shown, a in zip(data["next_actions"], context.next_actions, strict=True)
    ]
    customer = context.customer
    data.update(
        {
            "id": customer.id,
            "phone": customer.phone,
            "created_at": _iso(customer.created_at),
            "last_inbound_at": _iso(customer.last_inbound_at),
            "state": "escalated"
            if context.escalation
            else ("opted_out" if customer.opted_out else "active"),
            "escalation": escalation_dict(context.escalation),
        }
    )
    return data


async def customer_timeline(
    memory: Memory, customer_id: int, *, limit: int = 200, before_id: int | None = None
) -> dict[str, Any]:
    messages = await timeline(memory, customer_id, limit=limit, before_id=before_id)
    insights = await list_insights(memory, customer_id, include_resolved=True)
    return {
        "items": [timeline_item(m) for m in messages],
        "insights": [
            {
                "id": i.id,
                "kind": i.kind,
                "text": i.text,
                "resolved": i.resolved,
                "interaction_id": i.interaction_id,
                "at": _iso(i.created_at),
            }
            for i in insights
        ],
    }


def escalation_view(e: Any) -> dict[str, Any]:
    """An escalation as the API answers it."""
    return {
        "id": e.id,
        "customer_id": e.customer_id,
        "status": e.status,
        "reason": e.reason,
        "priority": e.priority,
        "assignee": e.assignee,
        "opened_by": e.opened_by,
        "resolution": e.resolution,
        "created_at": e.created_at.isoformat(),
        "assigned_at": e.assigned_at.isoformat() if e.assigned_at else None,
        "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
    }


def action_view(a: Any) -> dict[str, Any]:
    """A next action as the API answers it."""
    return {
        "id": a.id,
        "customer_id": a.customer_id,
        "type": a.type,
        "description": a.description,
        "priority": a.priority,
        "status": a.status,
        "due_at": a.due_at.isoformat() if a.due_at else None,
        "created_by": a.created_by,
        "detail": a.meta.get("detail"),
        "window": a.meta.get("window"),
    }
