"""What tools need from outside memory: the outbox (`tools.outbox`, every message to the
customer) and an escalation notifier, bound with the customer into `ToolDeps`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from memory import Escalation, Memory
from tools.outbox import OptedOut, Outbox, offline_outbox

__all__ = ["EscalationNotifier", "NullNotifier", "OptedOut", "offline_outbox", "ToolDeps"]

log = logging.getLogger(__name__)


class EscalationNotifier(Protocol):
    async def escalation_opened(self, escalation: Escalation) -> None: ...


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
    sender: Outbox  # every message to the customer leaves through it
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
