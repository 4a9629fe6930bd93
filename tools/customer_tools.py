"""The agent's tools. Each acts for `deps.customer_id` only: no tool takes a phone or an id of
a customer, and arguments a tool does not declare are refused (`extra="forbid"`), so nothing
the model writes can reach another customer. Results are compact JSON-able dicts; a problem the
model can fix is returned as `{"error": ...}` rather than raised."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from memory import (
    create_next_action,
    customer_context,
    list_next_actions,
    open_escalation,
    recall,
    schedule_call,
    update_next_action,
    update_profile,
)
from memory.dates import check_naive_moment
from prompts import entry
from prompts.moments import say_moment
from tools.ports import OptedOut, ToolDeps
from tools.rescheduling import rewording

Priority = Literal["low", "normal", "high", "urgent"]


# Chunks one recall returns to the model. On evals/longhistory (542 questions, hybrid) the
# evidence is among the first 4 / 5 / 6 for 0.912 / 0.915 / 0.921 of questions.
RECALL_RESULTS = 6


# Profile fields the model never sees: a number it could be asked to write to.
HIDDEN_PROFILE = ("contact_phone",)


def model_view(context: dict[str, Any]) -> dict[str, Any]:
    """A context snapshot as the model sees it: without the customer's phone number, nor
    another number they gave (the tools reach the customer without one)."""
    view = dict(context)
    view.pop("phone", None)
    profile = view.get("profile")
    if isinstance(profile, dict) and any(k in profile for k in HIDDEN_PROFILE):
        view["profile"] = {k: v for k, v in profile.items() if k not in HIDDEN_PROFILE}
    return view


class ToolArgs(BaseModel):
    # Undeclared arguments ("to", "phone", "customer_id") are an error, never silently dropped.
    model_config = ConfigDict(extra="forbid")


class RecallArgs(ToolArgs):
    query: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="What to look for, in the customer's words (one question per call).",
    )
    channel: Literal["call", "whatsapp", "human"] | None = Field(
        None, description="Only this channel (call transcripts, WhatsApp, human advisors)."
    )


class NoArgs(ToolArgs):
    pass


class NextActionArgs(ToolArgs):
    description: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="What a person has to do, with what and for whom, e.g. 'Enviar la "
        "propuesta a ana@example.com', 'Confirmar si la instalación incluye el inversor'.",
    )
    due: datetime | None = Field(
        None, description="When it is due (ISO 8601; without an offset: the business's time)."
    )
    priority: Priority | None = Field(None, description="low, normal, high or urgent.")
    status: Literal["open", "done", "cancelled"] | None = Field(
        None, description="done or cancelled closes an action; omit when creating."
    )
    action_id: int | None = Field(
        None,
        description="Id of one of this customer's next actions (from the context) to "
        "complete or reschedule; omit to create a new one.",
    )

    @field_validator("due")
    @classmethod
    def _due_in_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else check_naive_moment(value, "due")


class ProfileArgs(ToolArgs):
    product_interest: str | None = Field(None, max_length=200, description="What they want.")
    budget: str | None = Field(
        None, max_length=100, description="The customer's own budget, as they said it."
    )
    urgency: Literal["low", "medium", "high"] | None = Field(
        None, description="How soon they need it, as they said."
    )
    stage: Literal["new", "interested", "quoted", "negotiating", "won", "lost"] | None = Field(
        None, description="Where the sale stands."
    )
    email: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Only an address the customer wrote or said.",
    )
    calls: Literal["allowed", "declined"] | None = Field(
        None,
        description="declined when the customer asks not to be phoned (WhatsApp goes on); "
        "no callback or batch call is placed to them then.",
    )


class SendWhatsAppArgs(ToolArgs):
    text: str = Field(
        ..., min_length=1, max_length=1500, description="The WhatsApp message for this customer."
    )


class EscalateArgs(ToolArgs):
    reason: str = Field(..., min_length=1, max_length=500, description="Why, in a sentence.")
    priority: Priority = Field("normal", description="high when the customer is angry.")


class CallbackArgs(ToolArgs):
    when: datetime = Field(
        ..., description="When to call back (ISO 8601; without an offset: the business's time)."
    )
    reason: str = Field(
        ..., min_length=1, max_length=300, description="What the call is for, in a sentence."
    )
    window: Literal["morning", "afternoon", "evening", "day"] | None = Field(
        None,
        description='Only a part of the day was said ("en la mañana": morning), or only the '
        "day (day): `when` is then a moment inside it, and no clock time is promised.",
    )

    @field_validator("when")
    @classmethod
    def _when_in_range(cls, value: datetime) -> datetime:
        return check_naive_moment(value, "when")


def local_time(value: datetime | None, deps: ToolDeps) -> datetime | None:
    """A model-written time without an offset is the business's local time, not UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(deps.timezone))


async def recall_conversations(deps: ToolDeps, args: RecallArgs) -> dict[str, Any]:
    """Search this customer's past calls and messages (and advisors' notes) for what was said.
    Call it before answering anything about the past, even when the summary seems to cover it;
    quote what it returns and say who said it. Nothing relevant back: it was not found."""
    # Only what was said before this turn, bounded in SQL: the message being answered is
    # already indexed and would otherwise take a place and set the keyword cutoff.
    hits = await recall(
        deps.memory,
        deps.customer_id,
        args.query,
        k=RECALL_RESULTS,
        channel=args.channel,
        before=deps.turn_started_at,
        timezone=deps.timezone,
    )
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
    """The customer's profile, last call summary, pending questions, agreed next steps and
    open next actions with their ids: the context of the system prompt, read again (after a
    change, or to find the id of the action to move or close)."""
    if deps.context_snapshot is not None:
        return dict(deps.context_snapshot)
    return model_view((await customer_context(deps.memory, deps.customer_id, recent=6)).as_dict())


async def update_next_action_tool(deps: ToolDeps, args: NextActionArgs) -> dict[str, Any]:
    """Create a next action for a person on the team: every promise to check, send or do
    something gets one in the turn you make it. Or complete / reschedule one of this
    customer's (give its action_id with the new due time or status)."""
    due = local_time(args.due, deps)
    if args.action_id is not None:
        updated = await update_next_action(
            deps.memory,
            deps.customer_id,
            args.action_id,
            status=args.status,
            due_at=due,
            priority=args.priority,
            description=args.description,
            reword=rewording(deps.timezone),  # a new due day replaces the old one in the text
        )
        if updated is None:
            return {"error": f"this customer has no next action {args.action_id}"}
        return {
            "updated": {
                "id": updated.id,
                "description": updated.description,
                "status": updated.status,
                "due": updated.due_at.isoformat() if updated.due_at else None,
            }
        }
    if args.status in ("done", "cancelled"):
        # Closing without an id: the open action whose text matches.
        wanted = args.description.lower()[:20]
        for action in await list_next_actions(deps.memory, deps.customer_id):
            if wanted in action.description.lower():
                await update_next_action(
                    deps.memory, deps.customer_id, action.id, status=args.status
                )
                return {"updated": {"id": action.id, "status": args.status}}
        return {"error": "no open next action matches that description; give its action_id"}
    created = await create_next_action(
        deps.memory,
        deps.customer_id,
        args.description,
        priority=args.priority or "normal",
        due_at=due,
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
    """Record what the customer said about their product interest, budget, urgency, sales
    stage, email, or whether they accept phone calls ("don't call me": calls=declined). Only
    what they said; never guess."""
    changes = args.model_dump(exclude_none=True)
    if not changes:
        return {"error": "nothing to update"}
    customer = await update_profile(deps.memory, deps.customer_id, changes)
    return {"profile": customer.profile}


async def send_whatsapp(deps: ToolDeps, args: SendWhatsAppArgs) -> dict[str, Any]:
    """Send a WhatsApp message to this customer, when they ask for something in writing (on a
    call: "te lo envío ahora por WhatsApp"). It only ever reaches the customer you are talking
    to; on WhatsApp itself, your reply is the message."""
    try:
        message_id = await deps.sender.send_text(deps.customer_id, args.text)
    except OptedOut:
        return {"error": "the customer opted out of WhatsApp messages; nothing was sent"}
    return {"sent": True, "message_id": message_id}


async def escalate_to_human(deps: ToolDeps, args: EscalateArgs) -> dict[str, Any]:
    """Hand this conversation to a human advisor: the customer asks for a person, is very
    upset, or frustration repeats. The AI stops answering until a person hands it back (the
    customer is told so)."""
    escalation, created = await open_escalation(
        deps.memory, deps.customer_id, args.reason, priority=args.priority, opened_by="agent"
    )
    if created:
        await deps.notifier.escalation_opened(escalation)
    return {"escalated": True, "escalation_id": escalation.id, "already_open": not created}


async def schedule_callback(deps: ToolDeps, args: CallbackArgs) -> dict[str, Any]:
    """Schedule a phone call back to this customer at the day and time they asked for (no
    day or time said: ask for it, do not guess)."""
    when = local_time(args.when, deps)
    assert when is not None
    if when < datetime.now(when.tzinfo):
        return {"error": f"{when.isoformat()} has already passed; ask for a future time"}
    # The day and time (or the window) in the text the operator reads, in the customer's
    # language; the model's reason stays beside it as the action's detail.
    said = say_moment(when, deps.language, deps.timezone, args.window, reference=datetime.now(UTC))
    meta: dict[str, Any] = {"detail": args.reason}
    if args.window:
        meta["window"] = args.window
    # Asking for a call now overrides an earlier "no me llamen": the latest request wins.
    action = await schedule_call(
        deps.memory,
        deps.customer_id,
        entry("operator", "callback", deps.language, when=said),
        due_at=when,
        meta=meta,
    )
    return {"scheduled": {"id": action.id, "when": when.isoformat()}}
