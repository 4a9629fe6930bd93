"""How a message to a customer leaves Hilo: one `Outbox`, three delivery strategies.

Every message to a customer (the agent's reply, the `send_whatsapp` tool, the post-call
follow-up, an operator's reply) goes through `Outbox.send_text`: `memory.outbox` applies the
one opt-out policy and stores it, and the strategy decides what its creation sets off:
- `Queued` (production): its send job is queued in the storing transaction; the worker
  delivers it through Twilio (or the console channel when Twilio is not configured).
- `Console` (`hilo chat`, evals): delivered at once through the console channel, the same
  `deliver` the send job runs (window, templates, idempotency), without the queue.
- `StoreOnly` (offline default, tests): stored, not sent (status `console`; a turn's reply
  stays `pending` for whoever ran the turn).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.delivery import deliver
from channels.twilio import ConsoleChannel
from memory import Memory
from memory.messages import Message
from memory.outbox import OptedOut, store_outbound

__all__ = ["Console", "Delivery", "OptedOut", "Outbox", "Queued", "StoreOnly"]


class Delivery(Protocol):
    """A delivery strategy: how a stored message is sent."""

    @property
    def queued(self) -> bool:
        """Whether its send job is queued in the storing transaction."""
        ...

    def status(self, meta: dict[str, Any]) -> str:
        """The delivery status a new message is stored with."""
        ...

    async def stored(self, memory: Memory, message: Message) -> None:
        """After the message (and its job, if queued) committed."""
        ...


@dataclass(frozen=True)
class Queued:
    queued: bool = True

    def status(self, meta: dict[str, Any]) -> str:
        return "pending"

    async def stored(self, memory: Memory, message: Message) -> None:
        return None  # the send job delivers it


@dataclass(frozen=True)
class StoreOnly:
    queued: bool = False

    def status(self, meta: dict[str, Any]) -> str:
        # A turn's reply is left `pending`: whoever ran the turn may deliver it (benchmarks,
        # tests do); anything else (a tool's message, a follow-up) is marked as not sent.
        return "pending" if "in_reply_to" in meta else "console"

    async def stored(self, memory: Memory, message: Message) -> None:
        return None


@dataclass
class Console:
    settings: Any
    channel: ConsoleChannel = field(default_factory=ConsoleChannel)
    echo: Callable[[Message], None] | None = None  # e.g. print it in the terminal
    queued: bool = False

    def status(self, meta: dict[str, Any]) -> str:
        return "pending"  # until `deliver` records the console's answer

    async def stored(self, memory: Memory, message: Message) -> None:
        await deliver(memory, self.channel, self.settings, message.id)
        if self.echo is not None:
            self.echo(message)


@dataclass
class Outbox:
    """The one way a message reaches a customer (see the module docstring)."""

    memory: Memory
    delivery: Delivery = field(default_factory=StoreOnly)

    async def send_text(
        self,
        customer_id: int,
        text: str,
        *,
        role: str = "agent",
        meta: dict[str, Any] | None = None,
        language: str | None = None,
        channel: str = "whatsapp",
    ) -> int:
        """Store the message to this customer and set off its delivery; return its id.
        Raises `OptedOut` (nothing stored) when the customer opted out. `channel="console"`
        (a `hilo chat`-style turn) only stores it, on the console channel."""
        whatsapp = channel == "whatsapp"
        message, created = await store_outbound(
            self.memory,
            customer_id,
            text,
            role=role,
            meta=meta,
            language=language,
            channel=channel,
            delivery_status=self.delivery.status(meta or {}) if whatsapp else "console",
            queue=whatsapp and self.delivery.queued,
        )
        if created and whatsapp:
            await self.delivery.stored(self.memory, message)
        return message.id


def offline_outbox(memory: Memory) -> Outbox:
    """The offline outbox: messages stored (status `console`), not sent."""
    return Outbox(memory, StoreOnly())


def queued_outbox(memory: Memory) -> Outbox:
    """The production outbox: messages stored with their send job queued."""
    return Outbox(memory, Queued())
