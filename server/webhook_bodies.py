"""What the services send to Hilo's webhooks and live tools, as pydantic models for the API
description (`server.openapi`): Twilio's form fields, ElevenLabs' post-call event and
conversation-initiation request (FORMATS.md has the sources), and one request model per live
tool (the tool's own argument model plus the call's fields that bind the customer).

They document and are not used to parse: the routes verify the raw body first and read it
strictly themselves, and both services add fields without notice (`extra="allow"`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from tools.registry import TOOLS

MessageStatus = Literal[
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "failed",
    "undelivered",
    "accepted",
    "scheduled",
    "canceled",
    "receiving",
    "received",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TwilioInboundMessage(_Open):
    """Twilio's inbound WhatsApp webhook (form-encoded, signed with X-Twilio-Signature over
    every field received)."""

    MessageSid: str = Field(description="Unique id (34 characters); a repeat is ignored")
    From: str = Field(description="whatsapp:+E164 of the customer")
    To: str | None = Field(None, description="whatsapp:+E164 of the business")
    Body: str | None = Field(None, description="The text (at most 64 K characters)")
    AccountSid: str | None = None
    MessagingServiceSid: str | None = None
    NumMedia: str | None = Field(None, description="How many MediaUrlN/MediaContentTypeN follow")
    MediaUrl0: str | None = None
    MediaContentType0: str | None = None
    ProfileName: str | None = Field(None, description="The customer's WhatsApp display name")
    WaId: str | None = Field(None, description="The customer's WhatsApp id (digits)")
    ButtonPayload: str | None = Field(None, description="A quick-reply button's payload")
    ButtonText: str | None = None


class TwilioStatusCallback(_Open):
    """Twilio's delivery status callback (form-encoded, signed with X-Twilio-Signature)."""

    MessageSid: str
    MessageStatus: MessageStatus
    ErrorCode: str | None = None
    ErrorMessage: str | None = None
    AccountSid: str | None = None
    From: str | None = None
    To: str | None = None


class TranscriptTurn(_Open):
    role: Literal["user", "agent"]
    message: str | None = None
    time_in_call_secs: int
    tool_calls: list[dict[str, Any]] | None = None
    tool_results: list[dict[str, Any]] | None = None


class PhoneCall(_Open):
    type: Literal["twilio", "sip_trunking"]
    direction: Literal["inbound", "outbound"]
    phone_number_id: str | None = None
    agent_number: str | None = Field(None, description="The business's number")
    external_number: str | None = Field(None, description="The customer's number")
    call_sid: str | None = None


class BatchCall(_Open):
    batch_call_id: str
    batch_call_recipient_id: str


class CallMetadata(_Open):
    start_time_unix_secs: int
    call_duration_secs: int
    phone_call: PhoneCall | None = None
    batch_call: BatchCall | None = None


class CallAnalysis(_Open):
    call_successful: Literal["success", "failure", "unknown"] | None = None
    transcript_summary: str | None = None
    data_collection_results: dict[str, Any] | None = None
    evaluation_criteria_results: dict[str, Any] | None = None


class InitiationClientData(_Open):
    dynamic_variables: dict[str, Any] | None = None


class PostCallData(_Open):
    agent_id: str
    conversation_id: str = Field(description="The call's id: a repeat is stored once")
    status: str | None = None
    transcript: list[TranscriptTurn] | None = None
    metadata: CallMetadata | None = None
    analysis: CallAnalysis | None = None
    conversation_initiation_client_data: InitiationClientData | None = None
    failure_reason: str | None = Field(None, description="call_initiation_failure only")


class ElevenLabsPostCall(_Open):
    """ElevenLabs' post-call webhook (JSON, signed with ElevenLabs-Signature:
    t=<unix secs>,v0=<hex HMAC-SHA256 of "t.body">)."""

    type: Literal["post_call_transcription", "post_call_audio", "call_initiation_failure"]
    event_timestamp: int = Field(description="Unix seconds")
    data: PostCallData


class CallFields(BaseModel):
    """The call's own fields: they bind the customer (never a tool argument)."""

    caller_id: str | None = Field(
        None, description="Bind to system__caller_id (the customer on an inbound call)"
    )
    called_number: str | None = Field(
        None, description="Bind to system__called_number (the customer on an outbound call)"
    )
    direction: Literal["inbound", "outbound"] | None = None
    conversation_id: str | None = Field(None, description="system__conversation_id")
    call_sid: str | None = Field(None, description="system__call_sid")


class ConversationInit(_Open, CallFields):
    """ElevenLabs' conversation-initiation request for an inbound call (header X-Hilo-Secret);
    JSON, a form-encoded body is read too."""

    caller_id: str | None = Field(None, description="The caller (required)")
    agent_id: str | None = None


def _tool_request(name: str) -> type[BaseModel]:
    spec = TOOLS[name]
    title = "".join(part.title() for part in name.split("_")) + "Request"
    model: type[BaseModel] = create_model(
        title,
        __base__=(spec.args, CallFields),
        __doc__=f"{spec.description} Body: the tool's parameters plus the call's fields.",
    )
    return model


TOOL_REQUESTS: dict[str, type[BaseModel]] = {name: _tool_request(name) for name in TOOLS}
