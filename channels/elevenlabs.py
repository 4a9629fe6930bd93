"""ElevenLabs: webhook signatures and post-call payloads turned into Hilo's `CallRecord`.

Signature: header `ElevenLabs-Signature: t=<unix>,v0=<hex>`, hex = HMAC-SHA256(secret,
f"{t}.{raw_body}"). We verify it ourselves rather than with the SDK's `construct_event`,
which compares with `!=` (not constant time) and accepts any timestamp in the future; here the
comparison is `hmac.compare_digest` and the 30-minute tolerance ElevenLabs documents applies
both ways.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any

from memory import CallRecord, CallTurn

TOLERANCE_SECS = 30 * 60


class InvalidSignature(Exception):
    pass


class InvalidPayload(ValueError):
    pass


def sign_elevenlabs(raw_body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `ElevenLabs-Signature` header for a body (used by tests and `hilo demo`)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={t},v0={digest}"


def verify_elevenlabs_signature(
    raw_body: bytes, header: str | None, secret: str, *, now: float | None = None
) -> None:
    """Raise `InvalidSignature` unless the header signs this body within the tolerance."""
    if not header:
        raise InvalidSignature("missing ElevenLabs-Signature header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t"), parts.get("v0")
    if not stamp or not given or not stamp.isdigit():
        raise InvalidSignature("malformed ElevenLabs-Signature header")
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > TOLERANCE_SECS:
        raise InvalidSignature("timestamp outside the 30-minute tolerance")
    expected = hmac.new(
        secret.encode(), stamp.encode() + b"." + raw_body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("signature does not match")


def customer_phone(data: dict[str, Any]) -> str | None:
    """The customer's number: the telephony `external_number`, else the dynamic variables."""
    phone_call = (data.get("metadata") or {}).get("phone_call") or {}
    if phone_call.get("external_number"):
        return str(phone_call["external_number"])
    variables = (data.get("conversation_initiation_client_data") or {}).get(
        "dynamic_variables"
    ) or {}
    direction = phone_call.get("direction")
    for key in (("system__called_number",) if direction == "outbound" else ()) + (
        "system__caller_id",
        "customer_phone",
        "phone",
    ):
        if variables.get(key):
            return str(variables[key])
    return None


def call_record(payload: dict[str, Any]) -> CallRecord:
    """A `post_call_transcription` webhook (or GET conversation answer) as a `CallRecord`."""
    data = payload.get("data", payload)
    if not isinstance(data, dict) or not data.get("conversation_id"):
        raise InvalidPayload("data.conversation_id is required")
    metadata = data.get("metadata") or {}
    transcript = data.get("transcript")
    if not isinstance(transcript, list):
        raise InvalidPayload("data.transcript must be a list")
    turns = []
    for item in transcript:
        if not isinstance(item, dict) or item.get("role") not in ("user", "agent"):
            continue
        turns.append(
            CallTurn(
                role="customer" if item["role"] == "user" else "agent",
                text=item.get("message") or "",
                time_in_call_secs=float(item.get("time_in_call_secs") or 0),
                tool_calls=item.get("tool_calls") or [],
            )
        )
    analysis = data.get("analysis") or {}
    variables = (data.get("conversation_initiation_client_data") or {}).get(
        "dynamic_variables"
    ) or {}
    start = metadata.get("start_time_unix_secs")
    return CallRecord(
        conversation_id=str(data["conversation_id"]),
        phone=customer_phone(data),
        turns=turns,
        started_at=datetime.fromtimestamp(int(start), UTC) if start else datetime.now(UTC),
        customer_name=variables.get("customer_name") or variables.get("name"),
        language=metadata.get("main_language")
        if metadata.get("main_language") in ("es", "en")
        else None,
        direction=((metadata.get("phone_call") or {}).get("direction") or None),
        duration_secs=metadata.get("call_duration_secs"),
        status=str(data.get("status") or "done"),
        summary=analysis.get("transcript_summary") or None,
        analysis={"elevenlabs": analysis},
    )
