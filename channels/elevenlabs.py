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

from memory import CallRecord, CallTurn, InvalidDate
from memory.dates import check_moment

TOLERANCE_SECS = 30 * 60
MAX_CALL_SECS = 7 * 24 * 3600  # a turn's offset or a call's length beyond this is not a call


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
    # ASCII digits only ("²".isdigit() is true, int() refuses it), and few of them: a Unix time
    # has 10; hundreds of digits would overflow the float comparison below.
    if not stamp or not given or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        raise InvalidSignature("malformed ElevenLabs-Signature header")
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > TOLERANCE_SECS:
        raise InvalidSignature("timestamp outside the 30-minute tolerance")
    expected = hmac.new(
        secret.encode(), stamp.encode() + b"." + raw_body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):  # bytes: any header value
        raise InvalidSignature("signature does not match")


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the payload, or an empty one where the payload has something else."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def customer_phone(data: dict[str, Any]) -> str | None:
    """The customer's number: the telephony `external_number`, else the dynamic variables."""
    phone_call = _object(_object(data.get("metadata")).get("phone_call"))
    if phone_call.get("external_number"):
        return str(phone_call["external_number"])
    variables = _object(
        _object(data.get("conversation_initiation_client_data")).get("dynamic_variables")
    )
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
    """A `post_call_transcription` webhook (or GET conversation answer) as a `CallRecord`.

    `InvalidPayload` for what cannot be a call: no conversation id, no transcript list, a start
    time outside the stored range (`memory.dates`), offsets or a length that are not seconds of
    a call. Fields of the wrong JSON type that Hilo only reads are taken as absent."""
    data = payload.get("data", payload)
    if not isinstance(data, dict) or not data.get("conversation_id"):
        raise InvalidPayload("data.conversation_id is required")
    metadata = _object(data.get("metadata"))
    transcript = data.get("transcript")
    if not isinstance(transcript, list):
        raise InvalidPayload("data.transcript must be a list")
    turns = []
    for item in transcript:
        if not isinstance(item, dict) or item.get("role") not in ("user", "agent"):
            continue
        tool_calls = item.get("tool_calls")
        turns.append(
            CallTurn(
                role="customer" if item["role"] == "user" else "agent",
                text=_text(item.get("message")) or "",
                time_in_call_secs=_seconds(item.get("time_in_call_secs"), "time_in_call_secs"),
                tool_calls=tool_calls if isinstance(tool_calls, list) else [],
            )
        )
    analysis = _object(data.get("analysis"))
    variables = _object(
        _object(data.get("conversation_initiation_client_data")).get("dynamic_variables")
    )
    duration = metadata.get("call_duration_secs")
    direction = _object(metadata.get("phone_call")).get("direction")
    return CallRecord(
        conversation_id=str(data["conversation_id"]),
        phone=customer_phone(data),
        turns=turns,
        started_at=_started_at(metadata.get("start_time_unix_secs")),
        customer_name=_text(variables.get("customer_name")) or _text(variables.get("name")),
        language=metadata.get("main_language")
        if metadata.get("main_language") in ("es", "en")
        else None,
        direction=direction if direction in ("inbound", "outbound") else None,
        duration_secs=None if duration is None else int(_seconds(duration, "call_duration_secs")),
        status=str(data.get("status") or "done")[:50],
        summary=_text(analysis.get("transcript_summary")),
        analysis={"elevenlabs": analysis},
    )


def _seconds(value: Any, field: str) -> float:
    """A number of seconds within a call (0 when absent); `InvalidPayload` otherwise."""
    if value is None or value == "":
        return 0.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise InvalidPayload(f"{field} is not a number of seconds") from None
    if not 0 <= seconds <= MAX_CALL_SECS:  # also refuses NaN
        raise InvalidPayload(f"{field} {value!r} is not within a call")
    return seconds


def _started_at(value: Any) -> datetime:
    """`metadata.start_time_unix_secs` as a moment in the stored range (now when absent)."""
    if value is None or value == "" or value == 0:  # absent (0: never set)
        return datetime.now(UTC)
    try:
        moment = datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidPayload("metadata.start_time_unix_secs is not a Unix time") from None
    try:
        return check_moment(moment, "metadata.start_time_unix_secs")
    except InvalidDate as exc:
        raise InvalidPayload(str(exc)) from None
