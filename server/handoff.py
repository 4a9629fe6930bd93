"""The handoff between the AI and people: what an operator does to a conversation.

An escalation is opened by the agent (its `escalate_to_human` tool, which the rules model also
calls on anger, repeated frustration or an explicit request) or by an operator here. While it is
open or assigned the thread is human-owned: the agent stores the customer's messages and does
not answer (they reach the dashboard live). An operator takes it, replies (stored as a `human`
message on the customer's timeline and in recall, sent once through the send job) and resolves
it, which hands the thread back to the AI; the AI then sees the people's messages in its context
and can recall them.
"""

from __future__ import annotations

import logging
import uuid

from psycopg import errors

from memory import (
    Escalation,
    assign_escalation,
    current_escalation,
    get_customer,
    open_escalation,
    resolve_escalation,
)
from memory.escalations import get_escalation
from memory.inbox import find_request_message
from memory.messages import Message, get_message
from server.jobs.whatsapp import queued_outbox
from server.services import Services

log = logging.getLogger(__name__)
MAX_REPLY_CHARS = 1600  # WhatsApp's body limit through Twilio


class HandoffError(Exception):
    """An operator action that cannot be done (the message says why); maps to 409."""


class UnknownEscalation(LookupError):
    """No escalation with that id; maps to 404."""


async def _existing(services: Services, escalation_id: int) -> None:
    if await get_escalation(services.memory, escalation_id) is None:
        raise UnknownEscalation(f"no escalation {escalation_id}")


async def open_by_operator(
    services: Services, customer_id: int, operator: str, reason: str, priority: str = "normal"
) -> tuple[Escalation, bool]:
    """Open an escalation for the customer (or return the open one). Alerts as the agent's do."""
    await get_customer(services.memory, customer_id)  # UnknownCustomer → 404 at the edge
    escalation, created = await open_escalation(
        services.memory,
        customer_id,
        reason,
        priority=priority,
        opened_by=f"operator:{operator}",
    )
    if created:
        await services.agent.notifier.escalation_opened(escalation)
    return escalation, created


async def take(services: Services, escalation_id: int, operator: str) -> Escalation:
    await _existing(services, escalation_id)
    taken = await assign_escalation(services.memory, escalation_id, operator)
    if taken is None:
        raise HandoffError("this escalation is already resolved")
    return taken


async def resolve(
    services: Services, escalation_id: int, operator: str, resolution: str | None = None
) -> Escalation:
    await _existing(services, escalation_id)
    note = (resolution or "").strip() or None
    resolved = await resolve_escalation(
        services.memory, escalation_id, resolution=f"{operator}: {note}" if note else operator
    )
    if resolved is None:
        raise HandoffError("this escalation is already resolved")
    log.info(
        "escalation resolved",
        extra={"customer_id": resolved.customer_id, "escalation_id": escalation_id},
    )
    return resolved


async def reply(
    services: Services,
    customer_id: int,
    operator: str,
    text: str,
    request_id: str | None = None,
) -> tuple[Message, bool]:
    """Store and send an operator's WhatsApp message once per `request_id`.

    Returns (message, created): the same request again returns the first message and sends
    nothing. Replying to a customer whose escalation nobody took takes it. Outside the 24-hour
    window the send job uses the approved template, as for any message.
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise ValueError(f"the reply is longer than {MAX_REPLY_CHARS} characters")
    memory = services.memory
    customer = await get_customer(memory, customer_id)
    request_id = (request_id or "").strip()[:100] or uuid.uuid4().hex
    existing = await find_request_message(memory, customer.id, request_id)
    if existing is not None:
        return existing, False
    try:
        message_id = await queued_outbox(memory).send_text(
            customer.id,
            text,
            role="human",
            meta={"operator": operator, "request_id": request_id},
        )
    except errors.UniqueViolation:  # the same request, sent at the same moment, won
        existing = await find_request_message(memory, customer.id, request_id)
        assert existing is not None
        return existing, False
    escalation = await current_escalation(memory, customer.id)
    if escalation is not None and escalation.status == "open":
        await assign_escalation(memory, escalation.id, operator)
    message = await get_message(memory, message_id)
    assert message is not None
    return message, True


async def escalation_customer(services: Services, escalation_id: int) -> int:
    """The customer an operator replies to through an escalation; a resolved one refuses (the
    reply belongs on the customer's page then)."""
    escalation = await get_escalation(services.memory, escalation_id)
    if escalation is None:
        raise UnknownEscalation(f"no escalation {escalation_id}")
    if escalation.status == "resolved":
        raise HandoffError("this escalation is resolved: reply from the customer's page")
    return escalation.customer_id
