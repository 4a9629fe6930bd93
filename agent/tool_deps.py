"""What a tool call is bound to, built in one place: the customer (from the verified request),
the channel, and the agent's memory, sender, notifier and time zone."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tools.ports import ToolDeps

if TYPE_CHECKING:
    from agent.turn import Agent


def tool_deps(
    agent: Agent,
    customer_id: int,
    *,
    channel: str,
    language: str,
    turn_started_at: datetime | None = None,
) -> ToolDeps:
    """The bound dependencies of `customer_id`'s tools on `channel` (a turn, a live call)."""
    return ToolDeps(
        memory=agent.memory,
        customer_id=customer_id,
        channel=channel,
        sender=agent.sender,
        notifier=agent.notifier,
        language=language,
        timezone=agent.settings.timezone,
        turn_started_at=turn_started_at,
    )
