"""Twilio WhatsApp: signature checks and payload reading for inbound webhooks, and sending
through the `twilio` SDK.

`TWILIO_API_BASE_URL` points the SDK at another edge (or a local fake in tests) through the
SDK's own HTTP client hook; nothing here speaks HTTP to Twilio by hand. Without credentials
the console channel stores and logs messages instead, so every flow runs offline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from config import Settings
from memory.phones import mask_phone

log = logging.getLogger(__name__)

# Twilio error codes that will fail the same way again (invalid number, not a WhatsApp user,
# outside the 24 h window without a template, unsubscribed, blocked…): record, never retry.
PERMANENT_CODES = {21211, 21408, 21610, 21614, 63003, 63016, 63018, 63024, 63032, 21606, 21612}
# How long a send whose outcome is unknown (it timed out, or its worker died) stays in doubt,
# in multiples of the client timeout: Twilio may still accept a request we stopped waiting
# for, and its message log is looked up until then instead of sending again.
SETTLE_TIMEOUTS = 4


@dataclass
class Sent:
    sid: str
    status: str


class SendFailed(Exception):
    """Twilio refused the message. `permanent` errors are recorded and never retried.

    `answered`: Twilio's API answered with an error, so it created no message. Only a 504 (its
    edge stopped waiting for a backend that may still finish) leaves the outcome unknown, as
    a timeout of ours does.
    """

    def __init__(
        self, message: str, *, code: str | None, permanent: bool, answered: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.answered = answered


class WhatsAppChannel(Protocol):
    name: str
    settle: timedelta  # how long a send of unknown outcome may still be accepted

    async def send(
        self,
        to: str,
        *,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
        media_url: str | None = None,
    ) -> Sent: ...

    async def find_sent(
        self, to: str, *, since: datetime, body: str | None, exclude: Collection[str] = ()
    ) -> Sent | None: ...


def public_request_url(request_url: str, public_url: str | None) -> str:
    """The URL Twilio signed: the public base (behind proxies) with the request's path/query."""
    if not public_url:
        return request_url
    base = urlsplit(public_url.rstrip("/"))
    req = urlsplit(request_url)
    return urlunsplit((base.scheme, base.netloc, base.path + req.path, req.query, ""))


MAX_MEDIA = 10  # Twilio sends at most ten attachments with one message


def inbound_media(form: dict[str, Any]) -> list[dict[str, str]]:
    """The attachments of an inbound WhatsApp form (`NumMedia`, `MediaUrl0`…), in order."""
    count = int(form.get("NumMedia") or 0)
    return [
        {"url": form.get(f"MediaUrl{i}", ""), "content_type": form.get(f"MediaContentType{i}", "")}
        for i in range(min(count, MAX_MEDIA))
    ]


def verify_twilio_signature(
    auth_token: str, url: str, params: dict[str, str], signature: str | None
) -> bool:
    """Check `X-Twilio-Signature` with the SDK's validator (over every parameter received)."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


class _BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, with `https://api.twilio.com` replaced by another base URL."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        url = urlunsplit(
            (self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, "")
        )
        return super().request(method, url, *args, **kwargs)


class TwilioChannel:
    """Sends WhatsApp messages with the Twilio REST API (the official SDK)."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        base_url: str | None = None,
        status_callback: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        http_client = (
            _BaseUrlHttpClient(base_url, timeout=timeout)
            if base_url
            else TwilioHttpClient(timeout=timeout)
        )
        self.settle = timedelta(seconds=SETTLE_TIMEOUTS * timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_ = (
            from_number if from_number.startswith("whatsapp:") else f"whatsapp:{from_number}"
        )
        self.status_callback = status_callback

    def _create(self, kwargs: dict[str, Any]) -> Sent:
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise _send_failed(exc) from exc
        return Sent(sid=str(message.sid), status=str(message.status or "queued"))

    def _find(
        self, to: str, since: datetime, body: str | None, exclude: Collection[str]
    ) -> Sent | None:
        try:
            recent = self.client.messages.list(to=f"whatsapp:{to}", from_=self.from_, limit=20)
        except TwilioRestException as exc:
            raise _send_failed(exc) from exc
        for message in recent:  # newest first
            if message.date_created is not None and message.date_created < since:
                break
            if str(message.sid) in exclude:
                continue  # another message's: the same text sent to this customer before
            if body is None or (message.body or "") == body:
                return Sent(sid=str(message.sid), status=str(message.status or "queued"))
        return None

    async def send(
        self,
        to: str,
        *,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
        media_url: str | None = None,
    ) -> Sent:
        kwargs: dict[str, Any] = {"from_": self.from_, "to": f"whatsapp:{to}"}
        if content_sid:
            kwargs["content_sid"] = content_sid
            kwargs["content_variables"] = json.dumps(content_variables or {}, ensure_ascii=False)
        elif media_url:
            kwargs["media_url"] = [media_url]  # an audio message on WhatsApp carries no text
        else:
            kwargs["body"] = body or ""
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        # The SDK is synchronous (requests): keep it off the event loop.
        return await asyncio.to_thread(self._create, kwargs)

    async def show_typing(self, message_sid: str) -> None:
        """WhatsApp's "typing…" (and the message marked read) for the inbound `message_sid`,
        through the SDK's Messaging v2 typing indicator (a Twilio public beta)."""

        def create() -> None:
            self.client.messaging.v2.typing_indicator.create(
                channel="whatsapp", message_id=message_sid
            )

        await asyncio.to_thread(create)

    async def find_sent(
        self, to: str, *, since: datetime, body: str | None, exclude: Collection[str] = ()
    ) -> Sent | None:
        """A message to `to` that Twilio accepted since `since` (with this `body` when given),
        other than those whose sids are in `exclude`: what an interrupted earlier attempt may
        have sent. Templates are matched by time only (Twilio stores the rendered text, not the
        ContentSid)."""
        return await asyncio.to_thread(self._find, to, since, body, exclude)


class ConsoleChannel:
    """The offline channel: messages are logged (phone masked) and stored, never sent."""

    name = "console"
    settle = timedelta(0)  # nothing leaves the machine: never in doubt

    async def send(
        self,
        to: str,
        *,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
        media_url: str | None = None,
    ) -> Sent:
        text = body if body is not None else f"[template {content_sid}] {content_variables}"
        log.info("console whatsapp", extra={"to": mask_phone(to), "chars": len(text or "")})
        return Sent(sid=f"CONSOLE{uuid.uuid4().hex[:26]}", status="console")

    async def show_typing(self, message_sid: str) -> None:
        return None  # nobody is looking at a console

    async def find_sent(
        self, to: str, *, since: datetime, body: str | None, exclude: Collection[str] = ()
    ) -> Sent | None:
        return None  # nothing leaves the machine, so nothing can have been sent half-way


def _send_failed(exc: TwilioRestException) -> SendFailed:
    code = str(exc.code) if exc.code is not None else None
    retriable = exc.status == 429 or exc.status >= 500
    return SendFailed(
        exc.msg or f"Twilio answered {exc.status}",
        code=code or str(exc.status),
        permanent=not retriable or exc.code in PERMANENT_CODES,
        answered=exc.status != 504,
    )


def build_whatsapp_channel(settings: Settings) -> TwilioChannel | ConsoleChannel:
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if not settings.twilio_enabled or not settings.twilio_whatsapp_from or not sid or not token:
        return ConsoleChannel()
    callback = (
        f"{settings.public_url.rstrip('/')}/webhooks/twilio/status" if settings.public_url else None
    )
    return TwilioChannel(
        sid,
        token.get_secret_value(),
        settings.twilio_whatsapp_from,
        base_url=settings.twilio_api_base_url,
        status_callback=callback,
        timeout=settings.twilio_timeout,
    )
