"""The eval case format (JSON Lines, one case a line) and its loader.

A case is a customer, optionally a recorded ElevenLabs call (the post-call webhook body), other
customers loaded first (for leak tests), checks on the post-call follow-up, and the customer's
WhatsApp turns, each with what is expected of the agent's answer. Every `expect` key is
optional; the three booleans (`escalate`, `opt_out`, `no_reply`) default to false and are
always checked, because an unwanted escalation, opt-out or silence is a failure too.

`load_cases(paths)` reads files and raises `DatasetError` naming the file, line, case and field
of the first problem, so a typo in a dataset is found before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from memory.errors import InvalidPhone
from memory.phones import normalize_phone


class DatasetError(ValueError):
    """A dataset line that is not a valid case (the message says where and why)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseCustomer(_Strict):
    phone: str = Field(min_length=7)
    name: str | None = None
    language: str | None = Field(default=None, pattern="^(es|en)$")
    # The customer had opted out of WhatsApp before the case starts.
    opted_out: bool = False

    @field_validator("phone")
    @classmethod
    def _a_real_number(cls, phone: str) -> str:
        # Hilo keys customers by a valid number (memory.phones): a made-up one (an unallocated
        # range) would crash the case at its first step instead of being refused here.
        try:
            normalize_phone(phone)
        except InvalidPhone as exc:
            raise ValueError(
                f"{phone!r} is not a valid phone number (E.164, e.g. +573001234567)"
            ) from exc
        return phone


class OtherCustomer(_Strict):
    customer: CaseCustomer
    call: dict[str, Any] | None = None


class FollowupExpect(_Strict):
    # False: no follow-up may be sent (opted-out customer, failed call).
    sent: bool = True
    mentions_any: list[list[str]] = Field(default_factory=list)
    must_not_mention: list[str] = Field(default_factory=list)


class NextActionExpect(_Strict):
    # An open action, read as the dashboard shows it (description, due time in the business's
    # zone, the day in the customer's language), holds one of these …
    contains_any: list[str] = Field(min_length=1)
    # … and none holds any of these (e.g. "10:00" for a callback asked "en la mañana").
    not_contains: list[str] = Field(default_factory=list)


class Media(_Strict):
    url: str
    content_type: str


class Expect(_Strict):
    tools: list[str] = Field(default_factory=list)
    forbidden_tools: list[str] = Field(default_factory=list)
    mentions_any: list[list[str]] = Field(default_factory=list)
    must_not_mention: list[str] = Field(default_factory=list)
    escalate: bool = False
    opt_out: bool = False
    no_reply: bool = False
    next_action: NextActionExpect | None = None
    no_message_to: list[str] = Field(default_factory=list)

    @field_validator("mentions_any")
    @classmethod
    def _groups_not_empty(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not group for group in groups):
            raise ValueError("each group of mentions_any needs at least one string")
        return groups


class Turn(_Strict):
    customer: str = ""
    media: list[Media] = Field(default_factory=list)
    # A voice note (an audio in `media`): what the transcription service heard. The turn reads
    # it as the customer's text, as the WhatsApp worker does once the note is transcribed.
    transcript: str | None = None
    # A burst: the customer's messages just before `customer`, answered with it in one turn.
    earlier: list[str] = Field(default_factory=list)
    # Our message to the customer just before the turn (e.g. a question the customer answers).
    agent_asked: str | None = None
    # Indexes (in the call's transcript) of the call turns that hold this turn's answer.
    evidence: list[int] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect)


class Case(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    customer: CaseCustomer
    call: dict[str, Any] | None = None
    others: list[OtherCustomer] = Field(default_factory=list)
    followup: FollowupExpect | None = None
    turns: list[Turn] = Field(default_factory=list)

    @field_validator("call")
    @classmethod
    def _call_shape(cls, call: dict[str, Any] | None) -> dict[str, Any] | None:
        if call is not None and ("type" not in call or not isinstance(call.get("data"), dict)):
            raise ValueError("a call is the webhook body: {'type': ..., 'data': {...}}")
        return call


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(case)"
    return f"field {where}: {first['msg']}"


def parse_case(line: str, *, source: str = "<string>", lineno: int = 1) -> Case:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        message = f"{source}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})"
        raise DatasetError(message) from None
    if not isinstance(raw, dict):
        raise DatasetError(f"{source}:{lineno}: a case is a JSON object")
    case_id = raw.get("id", "?")
    try:
        return Case.model_validate(raw)
    except ValidationError as exc:
        raise DatasetError(f"{source}:{lineno}: case {case_id!r}: {_describe(exc)}") from None


def load_cases(paths: Iterable[str | Path], *, only: Iterable[str] = ()) -> list[Case]:
    """All cases of the files in order (blank lines and `//` comments skipped).

    Ids must be unique across the files. With `only`, just those cases (each must exist).
    """
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise DatasetError(f"{path}: no such dataset file")
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            case = parse_case(line, source=str(path), lineno=lineno)
            if case.id in seen:
                raise DatasetError(
                    f"{path}:{lineno}: case id {case.id!r} is already used at {seen[case.id]}"
                )
            seen[case.id] = f"{path}:{lineno}"
            cases.append(case)
    wanted = list(only)
    if wanted:
        missing = [w for w in wanted if w not in seen]
        if missing:
            raise DatasetError(f"no case with id {', '.join(missing)}")
        cases = [c for c in cases if c.id in set(wanted)]
    return cases
