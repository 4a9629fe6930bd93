"""What tools need from outside memory: a WhatsApp sender and an escalation notifier.

The channels package provides the real sender (stored, then sent by a durable job through
Twilio); the defaults here store the message and stop there, so the agent runs offline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from memory import Escalation, Memory, get_customer, mask_phone, save_message
from memory.messages import Message

log = logging.getLogger(__name__)


class OptedOut(Exception):
    """The customer opted out of WhatsApp messages; nothing was sent."""


class WhatsAppSender(Protocol):
    async def send_text(
        self,
        customer_id: int,
        text: str,
        *,
        role: str = "agent",
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Store and send a WhatsApp message to this customer; return the message id."""
        ...


class EscalationNotifier(Protocol):
    async def escalation_opened(self, escalation: Escalation) -> None: ...


async def store_outbound(
    memory: Memory,
    customer_id: int,
    text: str,
    *,
    role: str,
    meta: dict[str, Any] | None,
    delivery_status: str,
) -> tuple[Message, bool]:
    """Store an outgoing WhatsApp message, the first step of every sender. Refuses (`OptedOut`)
    an opted-out customer, except for people: operators may still write from the dashboard."""
    customer = await get_customer(memory, customer_id)
    if customer.opted_out and role != "human":
        raise OptedOut(f"customer {mask_phone(customer.phone)} opted out")
    return await save_message(
        memory,
        customer_id,
        channel="whatsapp",
        direction="outbound",
        role=role,  # type: ignore[arg-type]
        text=text,
        delivery_status=delivery_status,
        meta=meta,
    )


@dataclass
class StoreOnlySender:
    """The offline channel: the message is stored (delivery status `console`), not sent."""

    memory: Memory

    async def send_text(
        self,
        customer_id: int,
        text: str,
        *,
        role: str = "agent",
        meta: dict[str, Any] | None = None,
    ) -> int:
        message, _ = await store_outbound(
            self.memory, customer_id, text, role=role, meta=meta, delivery_status="console"
        )
        return message.id


class NullNotifier:
    """No alerts (the dashboard work replaces it with webhook and WhatsApp alerts)."""

    async def escalation_opened(self, escalation: Escalation) -> None:
        log.info(
            "escalation opened",
            extra={"customer_id": escalation.customer_id, "escalation_id": escalation.id},
        )


@dataclass
class ToolDeps:
    """Everything a tool call may touch. `customer_id` comes from the verified request."""

    memory: Memory
    customer_id: int
    channel: str
    sender: WhatsAppSender
    notifier: EscalationNotifier
    language: str = "es"
    # The business's time zone: a due time the model writes without an offset is read in it.
    timezone: str = "America/Bogota"
    # Chunks at or after this moment belong to the current turn (the customer's own question,
    # just stored); recall leaves them out so it never "remembers" the question itself.
    turn_started_at: datetime | None = None
    # The customer's context as read at the start of this turn (`get_customer_context` returns
    # it instead of reading again); any tool that writes clears it.
    context_snapshot: dict[str, Any] | None = None
