"""What `hilo demo` prints of the stored state: the voice agent's view of the WhatsApp thread at
the call start, and at the end the one timeline, the next actions (due in the business's time
zone) and the escalation."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from memory import find_customer_by_phone, timeline
from memory.actions import list_next_actions
from memory.escalations import latest_escalation
from server.templating import zone_label

console = Console()


def whatsapp_lines(recent: str, width: int = 110) -> list[str]:
    """The `recent_whatsapp` variable as the voice agent reads it, one message a line: the
    customer's in full (what the call now knows), the bot's shortened."""
    lines = []
    for entry in recent.split(" | "):
        role, _, text = entry.partition(": ")
        text = " ".join(text.split())
        if role != "customer" and len(text) > width:
            text = text[: width - 1] + "…"
        who = "Ana (WhatsApp)" if role == "customer" else "Hilo (WhatsApp)"
        lines.append(f"   {'»' if role == 'customer' else ' '} {who}: {text}")
    return lines


async def print_thread(memory: Any, phone: str, timezone: str) -> None:
    """The customer's one thread across channels, then their next actions and escalation."""
    customer = await find_customer_by_phone(memory, phone)
    assert customer is not None
    zone = ZoneInfo(timezone)
    table = Table(
        title=f"One thread: {customer.name} {customer.phone} (times in {timezone})",
        show_lines=False,
    )
    for column in ("when", "channel", "who", "text", "delivery"):
        table.add_column(column)
    for m in await timeline(memory, customer.id):
        table.add_row(
            m.created_at.astimezone(zone).strftime("%H:%M:%S"),
            m.channel,
            m.role,
            m.text,
            m.delivery_status or "",
        )
    console.print(table)
    escalation = await latest_escalation(memory, customer.id)
    actions = sorted(
        await list_next_actions(memory, customer.id, open_only=False), key=lambda a: a.id
    )
    for a in actions:
        due = ""
        if a.due_at:
            local = a.due_at.astimezone(zone)
            due = f" (due {local:%Y-%m-%d %H:%M} {zone_label(timezone, local)})"
        console.print(f"next action ({a.type}): {a.description}{due}", markup=False)
    console.print(
        f"escalation: {escalation.status} — {escalation.reason}"
        if escalation
        else "escalation: none",
        markup=False,
    )
