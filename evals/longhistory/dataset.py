"""The long-history set's format and its validator (`load_set`).

longhistory.json holds `customers` (each with `sessions`: a call or a WhatsApp conversation at
a date, made of turns with ids) and `questions` (each about one customer, with the ids of the
turns holding the answer). `load_set` refuses a set whose questions could not be scored.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "longhistory.json"
CHANNELS = ("call", "whatsapp")
ROLES = ("customer", "agent")
KINDS = ("direct", "paraphrase", "fact", "time")
LANGUAGES = ("es", "en")


class InvalidSet(ValueError):
    """The long-history set is malformed: a question cannot be scored against it."""


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """`data` itself if every question can be scored against its customer's sessions."""
    turn_owner: dict[str, str] = {}
    keys: set[str] = set()
    for customer in data.get("customers") or []:
        key = customer.get("key")
        if not key or key in keys:
            raise InvalidSet(f"customer key {key!r} missing or repeated")
        keys.add(key)
        if customer.get("language") not in LANGUAGES:
            raise InvalidSet(f"customer {key}: language {customer.get('language')!r}")
        previous: datetime | None = None
        for session in customer.get("sessions") or []:
            sid = session.get("id")
            if session.get("channel") not in CHANNELS:
                raise InvalidSet(f"session {sid}: channel {session.get('channel')!r}")
            try:
                started = datetime.fromisoformat(str(session.get("started_at")))
            except ValueError as exc:
                raise InvalidSet(f"session {sid}: started_at {exc}") from exc
            if started.tzinfo is None:
                raise InvalidSet(f"session {sid}: started_at needs a UTC offset")
            if previous is not None and started <= previous:
                raise InvalidSet(f"session {sid}: sessions must be in time order")
            previous = started
            if not session.get("turns"):
                raise InvalidSet(f"session {sid}: no turns")
            for turn in session["turns"]:
                if turn.get("role") not in ROLES or not str(turn.get("text", "")).strip():
                    raise InvalidSet(f"turn {turn.get('id')}: role or text missing")
                if turn.get("id") in turn_owner:
                    raise InvalidSet(f"turn id {turn.get('id')} repeated")
                turn_owner[turn["id"]] = key
        if not customer.get("sessions"):
            raise InvalidSet(f"customer {key}: no sessions")
    if not keys:
        raise InvalidSet("no customers")
    ids: set[str] = set()
    for question in data.get("questions") or []:
        qid = question.get("id")
        if not qid or qid in ids:
            raise InvalidSet(f"question id {qid!r} missing or repeated")
        ids.add(qid)
        if question.get("customer") not in keys:
            raise InvalidSet(f"question {qid}: unknown customer {question.get('customer')!r}")
        if question.get("kind") not in KINDS or question.get("language") not in LANGUAGES:
            raise InvalidSet(f"question {qid}: kind or language not one of {KINDS}/{LANGUAGES}")
        if not str(question.get("question", "")).strip():
            raise InvalidSet(f"question {qid}: empty")
        evidence = question.get("evidence") or []
        if not evidence:
            raise InvalidSet(f"question {qid}: no evidence turns")
        for turn_id in evidence:
            if turn_owner.get(turn_id) != question["customer"]:
                raise InvalidSet(f"question {qid}: evidence {turn_id} is no turn of its customer")
    if not ids:
        raise InvalidSet("no questions")
    return data


def load_set(path: Path = DATA) -> dict[str, Any]:
    """The long-history set at `path`, validated (`InvalidSet` when it is not scorable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidSet(f"{path}: {exc}") from exc
    return validate(data)
