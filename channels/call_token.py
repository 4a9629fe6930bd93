"""The `hilo_call` token: which customer a live call is, said by Hilo, never by the request.

Hilo issues one per call it knows of (the call-start webhook's answer, every batch call and
callback it places) and puts it in the call's `custom_llm_extra_body`; ElevenLabs relays it as
`elevenlabs_extra_body.hilo_call` on every Custom LLM request. It names the customer id, the
call's reference (Twilio's call SID on an inbound call, a fresh `hc_…` otherwise) and an
expiry, and is signed with a key kept in PostgreSQL (`memory.signing_keys`), so any Hilo
process verifies what another issued:

    hc1.<base64url(JSON {"c": customer id, "r": call ref, "e": expiry unix})>.<base64url(MAC)>

MAC = HMAC-SHA256(key, "hc1." + payload part). A token that does not verify, has expired or
names a customer who is not there binds nothing (`CallRefused`), and neither does one used on a
call whose numbers (when the request carries them) are not that customer's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from memory import Customer, InvalidPhone, Memory, UnknownCustomer, get_customer, normalize_phone
from memory.signing_keys import signing_key

VERSION = "hc1"
KEY_NAME = "call-token"
MAX_TOKEN_CHARS = 512
CALL_REF = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
# Numbers of the call a request may carry (extra body fields or dynamic variables the agent
# relays): at least one of those given must be the bound customer's.
CALLER_KEYS = ("caller_id", "system__caller_id", "called_number", "system__called_number")
_keys: dict[str, bytes] = {}  # per database: read once per process


class CallRefused(Exception):
    """The request is not bound to a customer (the message says why, without secrets)."""


@dataclass(frozen=True)
class CallBinding:
    customer_id: int
    call_ref: str
    expires_at: int  # unix seconds


@dataclass(frozen=True)
class BoundCall:
    customer: Customer
    call_ref: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, f"{VERSION}.{payload}".encode(), hashlib.sha256).digest())


def new_call_ref() -> str:
    return "hc_" + secrets.token_urlsafe(12)


def sign_call_token(key: bytes, customer_id: int, call_ref: str, expires_at: int) -> str:
    if not CALL_REF.match(call_ref):
        raise ValueError(f"not a call reference: {call_ref!r}")
    body = json.dumps({"c": customer_id, "r": call_ref, "e": expires_at}, separators=(",", ":"))
    payload = _b64(body.encode())
    return f"{VERSION}.{payload}.{_mac(key, payload)}"


def read_call_token(
    key: bytes, token: Any, *, now: float | None = None, check_expiry: bool = True
) -> CallBinding:
    """The binding a token carries; `CallRefused` unless Hilo signed it and it is in date."""
    if not isinstance(token, str) or not token:
        raise CallRefused("elevenlabs_extra_body.hilo_call is required")
    parts = token.split(".")
    if len(token) > MAX_TOKEN_CHARS or len(parts) != 3 or parts[0] != VERSION:
        raise CallRefused("hilo_call is not a Hilo call token")
    _, payload, mac = parts
    if not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        raise CallRefused("hilo_call is not signed by this Hilo")
    try:
        body = json.loads(_unb64(payload))
        binding = CallBinding(int(body["c"]), str(body["r"]), int(body["e"]))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CallRefused("hilo_call is not a Hilo call token") from exc
    if not 0 < binding.customer_id < 2**63 or not CALL_REF.match(binding.call_ref):
        raise CallRefused("hilo_call is not a Hilo call token")
    if check_expiry and binding.expires_at < (time.time() if now is None else now):
        raise CallRefused("hilo_call has expired")
    return binding


def peek_call_ref(token: Any) -> str | None:
    """The call reference a token names, unverified (the post-call webhook, itself signed by
    ElevenLabs, relays the token; the completed call must still be the same customer's)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        return None
    try:
        ref = json.loads(_unb64(parts[1])).get("r")
    except (ValueError, AttributeError, binascii.Error):
        return None
    return ref if isinstance(ref, str) and CALL_REF.match(ref) else None


async def call_token_key(memory: Memory) -> bytes:
    key = _keys.get(memory.url)
    if key is None:
        key = _keys[memory.url] = await signing_key(memory, KEY_NAME)
    return key


async def issue_call_token(
    memory: Memory,
    customer_id: int,
    *,
    ttl: timedelta,
    call_ref: str | None = None,
    starts_at: float | None = None,
) -> str:
    """A token binding a call (`call_ref`, or a new one) to `customer_id` until `ttl` after
    `starts_at` (now by default)."""
    start = time.time() if starts_at is None else max(starts_at, time.time())
    ref = call_ref if call_ref and CALL_REF.match(call_ref) else new_call_ref()
    expires = int(start + ttl.total_seconds())
    return sign_call_token(await call_token_key(memory), customer_id, ref, expires)


async def custom_llm_extra_body(
    memory: Memory,
    settings: Any,
    customer_id: int,
    *,
    call_ref: str | None = None,
    starts_at: float | None = None,
) -> dict[str, Any] | None:
    """What a call Hilo places carries for its Custom LLM requests (`{"hilo_call": token}`),
    or None when Hilo is not the Custom LLM (`HILO_LLM_SECRET` unset)."""
    if settings.llm_secret is None:
        return None
    token = await issue_call_token(
        memory, customer_id, ttl=settings.call_token_ttl, call_ref=call_ref, starts_at=starts_at
    )
    return {"hilo_call": token}


async def bind_call(memory: Memory, extra_body: Any, *, now: float | None = None) -> BoundCall:
    """The customer a Custom LLM request is for, from its `elevenlabs_extra_body`."""
    extra = extra_body if isinstance(extra_body, dict) else {}
    binding = read_call_token(await call_token_key(memory), extra.get("hilo_call"), now=now)
    try:
        customer = await get_customer(memory, binding.customer_id)
    except UnknownCustomer as exc:
        raise CallRefused("hilo_call names no customer of this Hilo") from exc
    numbers = [str(extra[k]) for k in CALLER_KEYS if isinstance(extra.get(k), str) and extra[k]]
    if numbers and customer.phone not in {_phone(n, memory.default_region) for n in numbers}:
        raise CallRefused("hilo_call belongs to another caller")
    return BoundCall(customer, binding.call_ref)


def _phone(number: str, default_region: str) -> str | None:
    try:
        return normalize_phone(number, default_region)
    except InvalidPhone:
        return None
