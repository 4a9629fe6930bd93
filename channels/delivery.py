"""Delivering one stored outbound WhatsApp message: the 24-hour window, templates, opt-out,
idempotency and error recording. The send job calls `deliver`; retries are the queue's job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from channels.twilio import SendFailed, WhatsAppChannel
from memory import Memory, get_customer, mask_phone
from memory.messages import get_message, record_send_failure, set_message_external_id

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=24)


class RetryLater(Exception):
    """A temporary failure (network, 5xx, 429): the job is retried with backoff."""


async def deliver(memory: Memory, channel: WhatsAppChannel, settings: Any, message_id: int) -> str:
    """Send message `message_id` once. Returns what happened: sent, already_sent, failed…"""
    message = await get_message(memory, message_id)
    if message is None or message.direction != "outbound" or message.channel != "whatsapp":
        return "not_outbound"
    if message.external_id:
        return "already_sent"  # a retried or duplicated job: never send twice
    customer = await get_customer(memory, message.customer_id)
    if (
        customer.opted_out
        and not message.meta.get("optout_confirmation")
        and message.role != "human"
    ):
        await record_send_failure(
            memory,
            message_id,
            code="opted_out",
            error="the customer opted out of WhatsApp messages",
        )
        return "opted_out"
    inside = bool(
        customer.last_inbound_at and datetime.now(UTC) - customer.last_inbound_at < WINDOW
    )
    kwargs: dict[str, Any] = {"body": message.text}
    if not inside:
        template = message.meta.get("content_sid") or settings.twilio_followup_content_sid
        if not template:
            await record_send_failure(
                memory,
                message_id,
                code="63016",
                error="outside the 24-hour window and no approved template is configured "
                "(TWILIO_FOLLOWUP_CONTENT_SID)",
            )
            return "failed"
        variables = message.meta.get("content_variables") or {
            "1": customer.name or "",
            "2": message.text[:900],
        }
        kwargs = {"content_sid": template, "content_variables": variables}
    try:
        sent = await channel.send(customer.phone, **kwargs)
    except SendFailed as exc:
        if exc.permanent:
            await record_send_failure(memory, message_id, code=exc.code, error=str(exc))
            log.warning("whatsapp send failed", extra={"message_id": message_id, "code": exc.code})
            return "failed"
        raise RetryLater(f"{exc.code}: {exc}") from exc
    except OSError as exc:  # network trouble reaching Twilio
        raise RetryLater(str(exc)) from exc
    await set_message_external_id(memory, message_id, sent.sid, sent.status)
    log.info(
        "whatsapp sent",
        extra={"message_id": message_id, "to": mask_phone(customer.phone), "channel": channel.name},
    )
    return "sent"
