"""The agent's tools. Each acts for `deps.customer_id` only: no tool takes a phone or an id of
a customer, so nothing the model writes can reach another customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from memory import (
    create_next_action,
    customer_context,
    list_next_actions,
    open_escalation,
    recall,
    update_next_action,
    update_profile,
)
from tools.ports import OptedOut, ToolDeps

Priority = Literal["low", "normal", "high", "urgent"]


class RecallArgs(BaseModel):
    query: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="What to look for in past conversations, in the customer's words.",
    )
    channel: Literal["call", "whatsapp", "human"] | None = Field(
        None, description="Only this channel (call transcripts, WhatsApp, human advisors)."
    )


class NoArgs(BaseModel):
    pass


class NextActionArgs(BaseModel):
    description: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="What has to happen next, e.g. 'Enviar cotización'.",
    )
    due: datetime | None = Field(None, description="When it is due (ISO 8601).")
    priority: Priority | None = Field(None, description="low, normal, high or urgent.")
    status: Literal["open", "done", "cancelled"] | None = Field(
        None, description="Set to done or cancelled to close an existing action."
    )
    action_id: int | None = Field(
        None, description="The id of an existing next action to update (from the context)."
    )


class ProfileArgs(BaseModel):
    product_interest: str | None = Field(None, max_length=200)
    budget: str | None = Field(None, max_length=100)
    urgency: Literal["low", "medium", "high"] | None = None
    stage: Literal["new", "interested", "quoted", "negotiating", "won", "lost"] | None = None
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SendWhatsAppArgs(BaseModel):
    text: str = Field(
        ..., min_length=1, max_length=1500, description="The WhatsApp message for this customer."
    )


class EscalateArgs(BaseModel):
    reason: str = Field(..., min_length=1, max_length=500)
    priority: Priority = "normal"


class CallbackArgs(BaseModel):
    when: datetime = Field(..., description="When to call the customer back (ISO 8601).")
    reason: str = Field(..., min_length=1, max_length=300)


async def recall_conversations(deps: ToolDeps, args: RecallArgs) -> dict[str, Any]:
    """Search this customer's past calls and messages for what they said."""
    hits = await recall(deps.memory, deps.customer_id, args.query, k=6, channel=args.channel)
    if deps.turn_started_at is not None:
        hits = [h for h in hits if h.occurred_at < deps.turn_started_at]
    hits = hits[:4]
    return {
        "results": [
            {
                "text": h.text,
                "channel": h.channel,
                "date": h.occurred_at.date().isoformat(),
                "interaction_id": h.interaction_id,
                "first_seq": h.first_seq,
                "last_seq": h.last_seq,
                "score": round(h.score, 4),
                "similarity": None if h.similarity is None else round(h.similarity, 3),
                "keyword_score": None if h.keyword_score is None else round(h.keyword_score, 3),
            }
            for h in hits
        ]
    }


async def get_customer_context(deps: ToolDeps, args: NoArgs) -> dict[str, Any]:
    """The customer's profile, last call summary, pending questions and next actions."""
    context = (await customer_context(deps.memory, deps.customer_id, recent=6)).as_dict()
    context.pop("phone", None)  # the model never needs the number
    return context


async def update_next_action_tool(deps: ToolDeps, args: NextActionArgs) -> dict[str, Any]:
    """Create a next action, or complete/reschedule one of this customer's actions."""
    if args.action_id is not None:
        updated = await update_next_action(
            deps.memory,
            deps.customer_id,
            args.action_id,
            status=args.status,
            due_at=args.due,
            priority=args.priority,
            description=args.description,
        )
        if updated is None:
            return {"error": f"no next action {args.action_id} for this customer"}
        return {
            "updated": {
                "id": updated.id,
                "status": updated.status,
                "due": updated.due_at.isoformat() if updated.due_at else None,
            }
        }
    if args.status in ("done", "cancelled"):
        # Closing by description: the open action whose text matches best.
        for action in await list_next_actions(deps.memory, deps.customer_id):
            if args.description.lower()[:20] in action.description.lower():
                await update_next_action(
                    deps.memory, deps.customer_id, action.id, status=args.status
                )
                return {"updated": {"id": action.id, "status": args.status}}
        return {"error": "no open next action matches that description"}
    created = await create_next_action(
        deps.memory,
        deps.customer_id,
        args.description,
        priority=args.priority or "normal",
        due_at=args.due,
        created_by="agent",
    )
    return {
        "created": {
            "id": created.id,
            "description": created.description,
            "due": created.due_at.isoformat() if created.due_at else None,
        }
    }


async def update_customer_profile(deps: ToolDeps, args: ProfileArgs) -> dict[str, Any]:
    """Record what the customer told us about their interest, budget, urgency or stage."""
    changes = args.model_dump(exclude_none=True)
    if not changes:
        return {"error": "nothing to update"}
    customer = await update_profile(deps.memory, deps.customer_id, changes)
    return {"profile": customer.profile}


async def send_whatsapp(deps: ToolDeps, args: SendWhatsAppArgs) -> dict[str, Any]:
    """Send a WhatsApp message to this customer (e.g. during a call: "te lo envío ahora")."""
    try:
        message_id = await deps.sender.send_text(deps.customer_id, args.text)
    except OptedOut:
        return {"error": "the customer opted out of WhatsApp messages; nothing was sent"}
    return {"sent": True, "message_id": message_id}


async def escalate_to_human(deps: ToolDeps, args: EscalateArgs) -> dict[str, Any]:
    """Hand this conversation to a human advisor; the AI stops answering until they hand back."""
    escalation, created = await open_escalation(
        deps.memory, deps.customer_id, args.reason, priority=args.priority, opened_by="agent"
    )
    if created:
        await deps.notifier.escalation_opened(escalation)
    return {"escalated": True, "escalation_id": escalation.id, "already_open": not created}


async def schedule_callback(deps: ToolDeps, args: CallbackArgs) -> dict[str, Any]:
    """Schedule a phone call back to this customer at the given time."""
    when = args.when if args.when.tzinfo else args.when.replace(tzinfo=UTC)
    action = await create_next_action(
        deps.memory,
        deps.customer_id,
        f"Llamar: {args.reason}",
        type="call",
        due_at=when,
        priority="high",
        created_by="agent",
    )
    return {"scheduled": {"id": action.id, "when": when.isoformat()}}
