"""Hilo's settings: one pydantic-settings class read from the environment or `.env`.

Every part of Hilo receives a `Settings` instance; nothing re-reads the environment. Secrets are
`SecretStr`, so printing or logging the settings never shows them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    # Settings are read by their public environment name only (DESIGN.md's contract); the
    # python field name is accepted too so tests and code can build Settings(field=...).
    return AliasChoices(name)


class Settings(BaseSettings):
    """All of Hilo's configuration. Environment names are the public contract (README)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
        # An empty variable is an unset one: `HILO_TOOLS_SECRET=` in .env or compose's
        # `${HILO_TOOLS_SECRET:-}` must not become an empty secret that everyone knows.
        env_ignore_empty=True,
    )

    # Database and local state
    database_url: SecretStr | None = Field(None, validation_alias=_env("DATABASE_URL"))
    data_dir: Path = Field(Path(".hilo"), validation_alias=_env("HILO_DATA_DIR"))
    # Connections each process keeps to PostgreSQL (web: requests and the in-process worker
    # share them). A spoken turn of a live call holds up to four at once before the model.
    db_pool_size: int = Field(20, ge=2, le=500, validation_alias=_env("HILO_DB_POOL_SIZE"))

    # Reply engine
    llm: Literal["openai", "rules"] | None = Field(None, validation_alias=_env("HILO_LLM"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    llm_model: str = Field("gpt-4o-mini", validation_alias=_env("HILO_LLM_MODEL"))
    max_agent_steps: int = Field(6, ge=1, le=20, validation_alias=_env("HILO_MAX_AGENT_STEPS"))

    # Embeddings
    embeddings: Literal["local", "openai"] = Field(
        "local", validation_alias=_env("HILO_EMBEDDINGS")
    )
    openai_embedding_model: str = Field(
        "text-embedding-3-small", validation_alias=_env("HILO_OPENAI_EMBEDDING_MODEL")
    )

    # Customers
    language: Literal["es", "en"] = Field("es", validation_alias=_env("HILO_LANGUAGE"))
    default_region: str = Field("CO", validation_alias=_env("HILO_DEFAULT_REGION"))
    # The business's time zone: "mañana a las 10" and times without an offset are read in it.
    timezone: str = Field("America/Bogota", validation_alias=_env("HILO_TIMEZONE"))

    # Web
    public_url: str | None = Field(None, validation_alias=_env("HILO_PUBLIC_URL"))
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", validation_alias=_env("HILO_LOG_FORMAT")
    )
    run_worker: bool = Field(True, validation_alias=_env("HILO_RUN_WORKER"))
    # Seconds without a heartbeat after which a job worker is taken for dead (killed, out of
    # memory, machine lost) and its running jobs go back to the queue.
    job_stalled_after: float = Field(
        60.0, ge=2, le=3600, validation_alias=_env("HILO_JOB_STALLED_AFTER")
    )
    # Seconds a job worker keeps trying to reach an unreachable database before it gives up
    # (`hilo worker` then exits non-zero; `hilo serve` answers 503 on /readyz).
    worker_retry_budget: float = Field(
        120.0, gt=0, le=86400, validation_alias=_env("HILO_WORKER_RETRY_BUDGET")
    )

    # Twilio (unset: console channel)
    twilio_account_sid: str | None = Field(None, validation_alias=_env("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: SecretStr | None = Field(None, validation_alias=_env("TWILIO_AUTH_TOKEN"))
    twilio_whatsapp_from: str | None = Field(None, validation_alias=_env("TWILIO_WHATSAPP_FROM"))
    twilio_followup_content_sid: str | None = Field(
        None, validation_alias=_env("TWILIO_FOLLOWUP_CONTENT_SID")
    )
    # Approved quick-reply template (HX…) for yes/no questions: variable 1 the question, buttons
    # with the ids `yes` and `no`.
    twilio_confirm_content_sid: str | None = Field(
        None, validation_alias=_env("TWILIO_CONFIRM_CONTENT_SID")
    )
    twilio_api_base_url: str | None = Field(None, validation_alias=_env("TWILIO_API_BASE_URL"))
    # Seconds to wait for Twilio's answer to a send; a send that timed out stays in doubt for
    # four times this (its message log is looked up, not sent again) before it is re-sent.
    twilio_timeout: float = Field(15.0, gt=0, le=120, validation_alias=_env("HILO_TWILIO_TIMEOUT"))

    # WhatsApp as people use it
    # Seconds of quiet after a customer's last message before one turn answers the burst
    # (0: every message answered on its own).
    whatsapp_debounce: float = Field(
        3.0, ge=0, le=60, validation_alias=_env("HILO_WHATSAPP_DEBOUNCE")
    )
    # WhatsApp's "typing…" while a turn runs (Twilio's typing indicator, a public beta).
    whatsapp_typing: bool = Field(False, validation_alias=_env("HILO_WHATSAPP_TYPING"))
    # Answer a voice note with audio too (ElevenLabs text-to-speech; needs ELEVENLABS_API_KEY,
    # ELEVENLABS_VOICE_ID and HILO_PUBLIC_URL, where Twilio fetches the audio once).
    voice_replies: bool = Field(False, validation_alias=_env("HILO_VOICE_REPLIES"))

    # ElevenLabs
    elevenlabs_api_key: SecretStr | None = Field(None, validation_alias=_env("ELEVENLABS_API_KEY"))
    elevenlabs_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("ELEVENLABS_WEBHOOK_SECRET")
    )
    elevenlabs_agent_id: str | None = Field(None, validation_alias=_env("ELEVENLABS_AGENT_ID"))
    elevenlabs_phone_number_id: str | None = Field(
        None, validation_alias=_env("ELEVENLABS_PHONE_NUMBER_ID")
    )
    elevenlabs_base_url: str | None = Field(None, validation_alias=_env("ELEVENLABS_BASE_URL"))
    elevenlabs_voice_id: str | None = Field(None, validation_alias=_env("ELEVENLABS_VOICE_ID"))
    # Voice notes: ElevenLabs Speech-to-Text when its key is set, else OpenAI's transcription.
    elevenlabs_stt_model: str = Field("scribe_v2", validation_alias=_env("ELEVENLABS_STT_MODEL"))
    openai_transcription_model: str = Field(
        "gpt-4o-mini-transcribe", validation_alias=_env("HILO_OPENAI_TRANSCRIPTION_MODEL")
    )
    tools_secret: SecretStr | None = Field(None, validation_alias=_env("HILO_TOOLS_SECRET"))

    # Custom LLM (Hilo answers the ElevenLabs agent's live turns at /v1/chat/completions)
    llm_secret: SecretStr | None = Field(None, validation_alias=_env("HILO_LLM_SECRET"))
    # Seconds without a first word from the model after which a short buffer phrase ending in
    # "... " is spoken while it thinks (ElevenLabs' advice for slow models); 0: never.
    llm_buffer_after: float = Field(
        1.5, ge=0, le=30, validation_alias=_env("HILO_LLM_BUFFER_AFTER")
    )
    # How long a call's `hilo_call` token binds it to its customer, from when it is issued (the
    # call start, or when Hilo places the call): longer than a call and a batch's dialling.
    call_token_ttl: timedelta = Field(
        timedelta(hours=6), validation_alias=_env("HILO_CALL_TOKEN_TTL")
    )

    # Escalation (operators)
    alert_webhook_url: SecretStr | None = Field(
        None, validation_alias=_env("HILO_ALERT_WEBHOOK_URL")
    )
    oncall_whatsapp: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("HILO_ONCALL_WHATSAPP")
    )
    escalation_sla: timedelta = Field(
        timedelta(minutes=5), validation_alias=_env("HILO_ESCALATION_SLA")
    )

    @field_validator("oncall_whatsapp", mode="before")
    @classmethod
    def _split_numbers(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _choose_llm(self) -> Settings:
        if self.llm is None:
            self.llm = "openai" if self.openai_api_key else "rules"
        return self

    @property
    def twilio_enabled(self) -> bool:
        """True when real Twilio credentials are configured (otherwise: console channel)."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None
