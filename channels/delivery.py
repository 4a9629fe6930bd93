"""Delivering one stored outbound WhatsApp message: the 24-hour window and opt-out (the
outbox's policy, `memory.outbox`, applied again at delivery), templates, idempotency and error
recording. The send job calls `deliver`; retries are the queue's job.

At most once towards the customer: a message with a provider id is never sent again, a failed
one is never retried, and an attempt that started but never recorded its outcome (the worker
was killed, Twilio timed out) is looked up in Twilio's message log before sending again, and
looked up again, not re-sent, while Twilio could still accept it late (`_sent_earlier`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from channels.twilio import SendFailed, Sent, WhatsAppChannel
from memory import Memory, get_customer, mask_phone, update_delivery
from memory.events import get_events_by_keys, mark_event
from memory.messages import (
    DELIVERY_ORDER,
    Message,
    clear_send_attempt,
    get_message,
    mark_send_attempt,
    recent_external_ids,
    record_send_failure,
    set_message_external_id,
)
from memory.outbox import inside_window, may_message

log = logging.getLogger(__name__)
# Twilio's clock and ours differ a little: look this far before the earlier attempt.
CLOCK_MARGIN = timedelta(minutes=2)


class RetryLater(Exception):
    """A temporary failure (network, 5xx, 429): the job is retried with backoff."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


async def deliver(memory: Memory, channel: WhatsAppChannel, settings: Any, message_id: int) -> str:
    """Send message `message_id` once. Returns what happened: sent, already_sent, failed…"""
    message = await get_message(memory, message_id)
    if message is None or message.direction != "outbound" or message.channel != "whatsapp":
        return "not_outbound"
    if message.external_id:
        return "already_sent"  # a retried or duplicated job: never send twice
    if message.delivery_status == "failed":
        return "already_failed"  # recorded once (permanent error, opt-out…), never retried
    customer = await get_customer(memory, message.customer_id)
    if not may_message(customer, role=message.role, meta=message.meta):  # opted out since
        await record_send_failure(
            memory,
            message_id,
            code="opted_out",
            error="the customer opted out of WhatsApp messages",
        )
        return "opted_out"
    inside = inside_window(customer)
    kwargs: dict[str, Any] = {"body": message.text}
    confirm_template = getattr(settings, "twilio_confirm_content_sid", None)
    if message.meta.get("media_url"):  # a voice reply: free-form, so only inside the window
        if not inside:
            await record_send_failure(
                memory, message_id, code="63016", error="a voice reply outside the 24-hour window"
            )
            return "failed"
        kwargs = {"media_url": str(message.meta["media_url"])}
    elif inside and message.meta.get("confirm") and confirm_template and channel.name != "console":
        # A yes/no question, with Sí / No buttons: the quick-reply template carries the text.
        kwargs = {"content_sid": confirm_template, "content_variables": {"1": message.text[:1024]}}
    elif not inside and channel.name == "console":
        # Offline, the text is shown as written; on Twilio this send would need a template.
        log.info("console whatsapp outside the 24 h window", extra={"message_id": message_id})
    elif not inside:
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
        sent = await _sent_earlier(memory, channel, message, customer.id, customer.phone, kwargs)
        if sent is None:
            await mark_send_attempt(memory, message_id)
            try:
                sent = await channel.send(customer.phone, **kwargs)
            except SendFailed as exc:
                if exc.answered:  # refused: nothing was created, so nothing is in doubt
                    await clear_send_attempt(memory, message_id)
                raise
    except SendFailed as exc:
        if exc.permanent:
            await record_send_failure(memory, message_id, code=exc.code, error=str(exc))
            log.warning("whatsapp send failed", extra={"message_id": message_id, "code": exc.code})
            return "failed"
        raise RetryLater(f"{exc.code}: {exc}", code=exc.code) from exc
    except OSError as exc:  # network trouble reaching Twilio, or no answer within the timeout
        raise RetryLater(f"{type(exc).__name__}: {exc}", code="network") from exc
    await set_message_external_id(memory, message_id, sent.sid, sent.status)
    await apply_early_statuses(memory, sent.sid)
    log.info(
        "whatsapp sent",
        extra={"message_id": message_id, "to": mask_phone(customer.phone), "channel": channel.name},
    )
    return "sent"


async def _sent_earlier(
    memory: Memory,
    channel: WhatsAppChannel,
    message: Message,
    customer_id: int,
    phone: str,
    kwargs: dict[str, Any],
) -> Sent | None:
    """What an earlier send of unknown outcome delivered, from the provider's message log.

    A send that started and recorded no answer (`meta.send_attempted_at`: its worker died, or
    Twilio did not answer within the client timeout) may have been accepted, even after Hilo
    stopped waiting. While it is younger than `channel.settle`, nothing in the log proves
    nothing: `RetryLater`, and look again on the next attempt; after that, None (send again).
    """
    started = message.meta.get("send_attempted_at")
    if not started:
        return None
    since = datetime.fromisoformat(started)
    # A sid already recorded on another message (the same text sent to this customer a moment
    # earlier) is that message's, never this one's.
    sent = await channel.find_sent(
        phone,
        since=since - CLOCK_MARGIN,
        body=kwargs.get("body"),
        exclude=await recent_external_ids(memory, customer_id),
    )
    if sent is not None:
        log.warning(
            "an earlier attempt had been sent; not sending again",
            extra={"message_id": message.id},
        )
        return sent
    if datetime.now(UTC) - since < channel.settle:
        raise RetryLater(
            "an earlier send may still be accepted by Twilio; looking again later",
            code="in_doubt",
        )
    return None


def status_event_key(sid: str, status: str) -> str:
    """The key of a stored status callback that matched no message when it arrived."""
    return f"status:{sid}:{status}"


async def apply_early_statuses(memory: Memory, sid: str) -> None:
    """Apply the status callbacks that arrived before the message's sid was recorded."""
    keys = [status_event_key(sid, status) for status in DELIVERY_ORDER]
    for event in await get_events_by_keys(memory, "twilio", keys):
        if event.status == "done":
            continue
        await update_delivery(
            memory,
            sid,
            event.payload["MessageStatus"],
            error_code=event.payload.get("ErrorCode"),
            error_message=event.payload.get("ErrorMessage"),
        )
        await mark_event(memory, event.id, "done")
