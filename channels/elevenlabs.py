"""ElevenLabs: webhook signatures, and its payloads read once: the post-call event Hilo stores,
the call it holds (`CallRecord`), a call that could not start, and the customer a live tool
request is for.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.call_token import peek_call_ref
from memory import CallRecord, CallTurn, InvalidDate
from memory.dates import check_moment

TOLERANCE_SECS = 30 * 60
MAX_CALL_SECS = 7 * 24 * 3600  # a turn's offset or a call's length beyond this is not a call
POST_CALL_TYPES = ("post_call_transcription", "post_call_audio", "call_initiation_failure")
# Values ElevenLabs fills from the call (system__caller_id…); they pick the customer and are
# never passed to a tool as arguments.
BINDING_KEYS = {"caller_id", "called_number", "conversation_id", "direction", "call_sid"}


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


@dataclass(frozen=True)
class PostCallEvent:
    """A post-call webhook (or a conversation pulled by `hilo calls sync`) as stored."""

    event_type: str
    conversation_id: str
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        """Its idempotency key: one event per kind and conversation."""
        return f"{self.event_type}:{self.conversation_id}"


def post_call_event(payload: Any) -> PostCallEvent:
    """A post-call webhook body as the event to store; `InvalidPayload` for what Hilo cannot
    store. A transcription is read as a call here, so what the ingest job reads is refused at
    the edge rather than failed later."""
    event_type = payload.get("type") if isinstance(payload, dict) else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if event_type not in POST_CALL_TYPES or not isinstance(data, dict):
        raise InvalidPayload(
            f"unsupported event: type must be one of {sorted(POST_CALL_TYPES)} with a data object"
        )
    conversation_id = data.get("conversation_id")
    if not conversation_id:
        raise InvalidPayload("data.conversation_id is required")
    if event_type == "post_call_transcription":
        call_record(payload)
    return PostCallEvent(str(event_type), str(conversation_id), payload)


def synced_conversation(data: dict[str, Any]) -> PostCallEvent:
    """A finished conversation from the API, stored as if its webhook had come."""
    payload = {"type": "post_call_transcription", "data": data, "source": "sync"}
    return PostCallEvent("post_call_transcription", str(data["conversation_id"]), payload)


@dataclass(frozen=True)
class FailedCall:
    """A `call_initiation_failure` event: the call that never started, and why."""

    conversation_id: str
    phone: str | None
    reason: str | None


def failed_call(payload: dict[str, Any]) -> FailedCall:
    data = _object(payload.get("data"))
    metadata = _object(data.get("metadata"))
    phone = (
        _object(metadata.get("phone_call")).get("external_number")
        or metadata.get("to_number")
        or customer_phone(data)
    )
    return FailedCall(
        conversation_id=str(data.get("conversation_id")),
        phone=str(phone) if phone else None,
        reason=str(data["failure_reason"]) if data.get("failure_reason") else None,
    )


def tool_caller(fields: dict[str, Any]) -> str | None:
    """The customer of a live tool request: the called number on an outbound call, else the
    caller id (then the called number)."""
    if fields.get("direction") == "outbound" and fields.get("called_number"):
        return str(fields["called_number"])
    caller = fields.get("caller_id") or fields.get("called_number")
    return str(caller) if caller else None


def tool_arguments(fields: dict[str, Any]) -> dict[str, Any]:
    """A live tool request's arguments: its fields but the call's own (they bind the customer)."""
    return {k: v for k, v in fields.items() if k not in BINDING_KEYS}


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
    client_data = _object(data.get("conversation_initiation_client_data"))
    variables = _object(client_data.get("dynamic_variables"))
    duration = metadata.get("call_duration_secs")
    phone_call = _object(metadata.get("phone_call"))
    direction = phone_call.get("direction")
    # The live call this is the record of: the reference in the `hilo_call` token Hilo gave
    # the call, or (inbound) Twilio's call SID, which that reference is.
    live_refs = [
        peek_call_ref(_object(client_data.get("custom_llm_extra_body")).get("hilo_call")),
        _text(phone_call.get("call_sid")),
    ]
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
        live_refs=tuple(dict.fromkeys(r for r in live_refs if r)),
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
