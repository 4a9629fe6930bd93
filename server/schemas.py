"""The operator API's bodies and answers as pydantic models: each `/api` route declares its
answer as `response_model`, so `/openapi.json` (and `/docs`) describe every field, and FastAPI
checks each answer against it. The values come from `server.views` (shared with the
dashboard)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from server.handoff import MAX_REPLY_CHARS

Priority = Literal["low", "normal", "high", "urgent"]
Window = Literal["morning", "afternoon", "evening", "day"]

DETAIL = "What the action came from: the call's sentence, the customer's words, a reason"
WINDOW = (
    "Only a part of the day (morning, afternoon, evening) or only the day (day) was said: "
    "`due_at` is a moment inside it, and no clock time was promised. Dropped on a reschedule."
)


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)
    request_id: str | None = Field(
        None, max_length=100, description="Idempotency key: the same id sends one message."
    )


class EscalateIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    priority: Priority = "normal"


class ResolveIn(BaseModel):
    resolution: str | None = Field(None, max_length=1000)


class NextActionIn(BaseModel):
    description: str = Field(min_length=1, max_length=500)
    type: str = Field("follow_up", pattern=r"^[a-z_]{1,30}$")
    priority: Priority = "normal"
    due_at: datetime | None = Field(
        None, description="ISO 8601 with a UTC offset, between 2000 and 2099."
    )


class NextActionPatch(BaseModel):
    status: Literal["open", "in_progress", "done", "cancelled"] | None = None
    due_at: datetime | None = Field(
        None, description="Reschedule (ISO 8601 with a UTC offset, between 2000 and 2099)."
    )
    priority: Priority | None = None
    description: str | None = Field(None, min_length=1, max_length=500)


class CustomerRowOut(BaseModel):
    id: int
    phone: str = Field(description="E.164")
    name: str | None
    language: str
    state: str = Field(description="active, escalated or opted_out")
    opted_out: bool
    last_message_at: datetime | None
    last_message: str | None
    last_role: str | None = Field(description="customer, ai, human or system")
    escalation_id: int | None
    escalation_status: str | None


class CustomersOut(BaseModel):
    customers: list[CustomerRowOut]


class LastCallOut(BaseModel):
    date: date
    summary: str | None
    intent: str | None
    sentiment: str | None


class ContextActionOut(BaseModel):
    id: int
    type: str
    description: str
    priority: str
    due: datetime | None
    status: str
    detail: str | None = Field(description=DETAIL)
    window: Window | None = Field(description=WINDOW)


class EscalationBriefOut(BaseModel):
    id: int
    status: str
    reason: str
    priority: str
    assignee: str | None
    since: datetime


class CustomerProfileOut(BaseModel):
    id: int
    name: str | None
    phone: str
    language: str
    profile: dict[str, Any] = Field(description="What the agent learnt: preferences, calls…")
    opted_out: bool
    state: str = Field(description="active, escalated or opted_out")
    created_at: datetime | None
    last_inbound_at: datetime | None
    last_call: LastCallOut | None
    topics: list[str]
    pending_questions: list[str]
    agreed_next_steps: list[str]
    objections: list[str]
    next_actions: list[ContextActionOut]
    escalation: EscalationBriefOut | None
    whatsapp_window_open: bool = Field(description="A free-form WhatsApp message may be sent")


class TimelineItemOut(BaseModel):
    id: int
    kind: str = Field(description="call_turn, whatsapp, human or system")
    channel: str
    direction: str
    role: str
    text: str
    at: datetime | None
    interaction_id: int
    seq: int
    media: list[dict[str, Any]]
    delivery_status: str | None
    error_code: str | None
    error_message: str | None
    operator: str | None = Field(description="The person who wrote it, for human messages")
    tool_calls: list[dict[str, Any]]
    followup_for: int | str | None = Field(description="The call a follow-up message is about")


class InsightOut(BaseModel):
    id: int
    kind: str = Field(description="topic, pending_question, next_step, objection…")
    text: str
    resolved: bool
    interaction_id: int | None
    at: datetime | None


class TimelineOut(BaseModel):
    items: list[TimelineItemOut]
    insights: list[InsightOut]


class ReplyOut(BaseModel):
    message: TimelineItemOut
    created: bool = Field(description="False: the same request_id was sent before")


class EscalationOut(BaseModel):
    id: int
    customer_id: int
    status: str
    reason: str
    priority: str
    assignee: str | None
    opened_by: str
    resolution: str | None
    created_at: datetime
    assigned_at: datetime | None
    resolved_at: datetime | None


class EscalationResultOut(BaseModel):
    escalation: EscalationOut


class EscalationCreatedOut(EscalationResultOut):
    created: bool = Field(description="False: the customer already had an open escalation")


class NextActionOut(BaseModel):
    id: int
    customer_id: int
    type: str
    description: str
    priority: str
    status: str
    due_at: datetime | None
    created_by: str
    detail: str | None = Field(description=DETAIL)
    window: Window | None = Field(description=WINDOW)


class NextActionResultOut(BaseModel):
    next_action: NextActionOut


class NextActionsOut(BaseModel):
    next_actions: list[NextActionOut]


class BoardActionOut(BaseModel):
    id: int
    customer_id: int
    customer_name: str | None
    phone: str
    type: str
    description: str
    priority: str
    status: str
    due_at: datetime | None
    created_by: str
    created_at: datetime | None
    opted_out: bool = Field(description="The customer opted out of WhatsApp")
    calls_declined: bool = Field(description="The customer asked not to be called")
    overdue: bool
    detail: str | None = Field(description=DETAIL)
    window: Window | None = Field(description=WINDOW)


class BoardOut(BaseModel):
    next_actions: list[BoardActionOut]


class QueueItemOut(BaseModel):
    escalation_id: int
    customer_id: int
    customer_name: str | None
    phone: str
    reason: str
    priority: str
    status: str
    assignee: str | None
    opened_by: str
    created_at: datetime | None
    waiting_seconds: int
    alert_count: int
    last_customer_message: str | None
    last_customer_message_at: datetime | None


class QueueOut(BaseModel):
    escalations: list[QueueItemOut]


class MeOut(BaseModel):
    id: int
    email: str
    name: str | None
    via: str = Field(description="session or token")


class TokenOut(BaseModel):
    id: int
    token: str = Field(description="Shown once; only its hash is stored")
