"""Alerts to people when a conversation is handed to them, through the durable job queue.

When an escalation opens, one `alerts:send_alert` job per destination is queued in the same
transaction that counts the alert: the webhook (`HILO_ALERT_WEBHOOK_URL`, a JSON body Slack-
compatible incoming webhooks accept: `text` plus `blocks`) and a WhatsApp message to each
on-call number (`HILO_ONCALL_WHATSAPP`). Each job is retried on its own (network errors, 5xx,
429), so one failing destination never repeats the others; a permanent refusal is logged, not
retried forever. Every minute a periodic job claims the escalations nobody took within
`HILO_ESCALATION_SLA` (since opening or the last alert) and queues a reminder; the claim is one
conditional UPDATE, so many workers remind once per period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import procrastinate

import prompts
from channels.twilio import SendFailed
from memory import Escalation, Memory, get_customer, mask_phone
from memory.escalations import claim_overdue_escalations, get_escalation, mark_alerted
from server.jobs import runtime
from server.jobs.queue import enqueue
from server.jobs.retry import ShutdownSafeRetry

log = logging.getLogger(__name__)
NAMESPACE = "alerts"
SEND_ALERT = f"{NAMESPACE}:send_alert"
SLA_SWEEP = f"{NAMESPACE}:sla_sweep"
# Waits of 2, 4, 8, 16, 32 s: about a minute of trouble at the destination before giving up.
ALERT_RETRY = ShutdownSafeRetry(max_attempts=6, exponential_wait=2)
WEBHOOK = "webhook"


class AlertRetry(Exception):
    """The destination is away or busy (network, 5xx, 429): the job is retried."""


def destinations(settings: Any) -> list[str]:
    found = [WEBHOOK] if settings.alert_webhook_url is not None else []
    return found + [f"whatsapp:{number}" for number in settings.oncall_whatsapp]


async def queue_alerts(
    memory: Memory,
    settings: Any,
    escalation_ids: list[int] | None = None,
    *,
    kind: str = "opened",
    sweep_sla: Any = None,
) -> list[int]:
    """Queue the alert jobs (and count the alert) in one transaction.

    With `sweep_sla`, the escalations are those claimed as overdue (reminders); otherwise the
    given ids. Returns the escalation ids alerted.
    """
    targets = destinations(settings)
    if not targets:
        return []
    async with memory.pool.connection() as conn, conn.transaction():
        if sweep_sla is not None:
            ids = await claim_overdue_escalations(conn, sweep_sla)
        else:
            ids = list(escalation_ids or [])
            for escalation_id in ids:
                await mark_alerted(conn, escalation_id)
        for escalation_id in ids:
            for destination in targets:
                await enqueue(
                    conn,
                    SEND_ALERT,
                    escalation_id=escalation_id,
                    destination=destination,
                    kind=kind,
                )
    return ids


@dataclass
class AlertNotifier:
    """The agent's (and operators') escalation notifier in production: alerts through jobs."""

    memory: Memory
    settings: Any

    async def escalation_opened(self, escalation: Escalation) -> None:
        queued = await queue_alerts(self.memory, self.settings, [escalation.id])
        log.info(
            "escalation opened",
            extra={
                "customer_id": escalation.customer_id,
                "escalation_id": escalation.id,
                "alerts": len(queued) * len(destinations(self.settings)),
            },
        )


def alert_text(escalation: Escalation, name: str, phone: str, settings: Any, kind: str) -> str:
    language = settings.language
    es = language != "en"
    waited = max(0, int((datetime.now(UTC) - escalation.created_at).total_seconds() // 60))
    priorities = {"urgent": "urgente", "high": "alta", "normal": "normal", "low": "baja"}
    link = (
        f"\n{settings.public_url.rstrip('/')}/customers/{escalation.customer_id}"
        if settings.public_url
        else ""
    )
    if kind == "reminder":
        headline = (
            "Recordatorio, nadie ha tomado esta conversación"
            if es
            else "Reminder, nobody took this conversation"
        )
    else:
        headline = "Nueva escalación" if es else "New escalation"
    return prompts.render(
        "alerts",
        language,
        headline=headline,
        name=name,
        phone=phone,
        minutes=waited,
        reason=escalation.reason,
        priority=priorities.get(escalation.priority, escalation.priority)
        if es
        else escalation.priority,
        link_part=link,
    )


async def send_alert(escalation_id: int, destination: str, kind: str = "opened") -> str:
    services = runtime.services()
    escalation = await get_escalation(services.memory, escalation_id)
    if escalation is None or escalation.status == "resolved":
        return "escalation closed"
    if kind == "reminder" and escalation.status != "open":
        return "already taken"
    customer = await get_customer(services.memory, escalation.customer_id)
    text = alert_text(
        escalation, customer.name or "Cliente", mask_phone(customer.phone), services.settings, kind
    )
    if destination == WEBHOOK:
        return await _post_webhook(services.settings, text)
    if destination.startswith("whatsapp:"):
        number = destination.split(":", 1)[1]
        try:
            await services.whatsapp.send(number, body=text)
        except SendFailed as exc:
            if exc.permanent:
                log.warning(
                    "on-call alert refused", extra={"to": mask_phone(number), "code": exc.code}
                )
                return f"refused {exc.code}"
            raise AlertRetry(f"whatsapp {exc.code}") from exc
        except OSError as exc:
            raise AlertRetry(type(exc).__name__) from exc
        log.info(
            "on-call alert sent", extra={"to": mask_phone(number), "escalation_id": escalation_id}
        )
        return "sent"
    return "unknown destination"


async def _post_webhook(settings: Any, text: str) -> str:
    if settings.alert_webhook_url is None:
        return "no webhook configured"
    body = {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(settings.alert_webhook_url.get_secret_value(), json=body)
    except httpx.HTTPError as exc:
        raise AlertRetry(type(exc).__name__) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise AlertRetry(f"alert webhook answered {response.status_code}")
    if response.status_code >= 400:
        log.warning("alert webhook refused", extra={"status": response.status_code})
        return f"refused {response.status_code}"
    return "sent"


async def sla_sweep(timestamp: int) -> int:
    """Remind about escalations nobody took within the SLA (one reminder per period)."""
    services = runtime.services()
    reminded = await queue_alerts(
        services.memory,
        services.settings,
        kind="reminder",
        sweep_sla=services.settings.escalation_sla,
    )
    return len(reminded)


def register(app: procrastinate.App) -> None:
    app.task(name=SEND_ALERT, retry=ALERT_RETRY)(send_alert)
    app.periodic(cron="* * * * *", periodic_id="escalation_sla")(
        app.task(name=SLA_SWEEP, queueing_lock="escalation_sla")(sla_sweep)
    )
