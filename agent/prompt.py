"""The system prompt of a turn, filled from the customer's context snapshot.

The snapshot is `memory.CustomerContext.as_dict()` (without the phone number). Each part
becomes one short line of the prompt template (`prompts/system_{es,en}.txt`); an empty part is
written as "—" so the model sees that it is known to be empty.

Much of it is the customer's own words (pending questions, objections, profile values), so the
block is delimited (`<customer_context>` … `</customer_context>`) and marked as data; a value
cannot close or open the block (`as_data` takes the tags out of it).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import prompts
from prompts.moments import MONTHS, WEEKDAYS

CHANNEL_LABELS = {
    "es": {"whatsapp": "WhatsApp", "voice": "teléfono", "console": "chat"},
    "en": {"whatsapp": "WhatsApp", "voice": "the phone", "console": "chat"},
}
MONTHS_ES = MONTHS["es"]
EMPTY = "—"
# The tags that delimit memory in the prompts (this block; a call's recall, `voice_prompt`).
_TAGS = re.compile(r"</?\s*(customer_context|recalled)\s*>", re.IGNORECASE)


def as_data(text: str) -> str:
    """A value for a delimited block of the prompt: it can neither close nor open one."""
    return _TAGS.sub("", text)


def spoken_now(now: datetime, language: str) -> str:
    """ "jueves 26 de noviembre de 2026, 10:05" / "Thursday, November 26, 2026, 10:05"."""
    day = WEEKDAYS["en" if language == "en" else "es"][now.weekday()]
    if language == "en":
        return f"{day}, {now:%B} {now.day}, {now.year}, {now:%H:%M}"
    return f"{day} {now.day} de {MONTHS_ES[now.month - 1]} de {now.year}, {now:%H:%M}"


def _items(values: list[str], limit: int = 8) -> str:
    return "; ".join(v for v in values[-limit:] if v) or EMPTY


def _last_call(call: dict[str, Any] | None, language: str) -> str:
    if not call:
        return EMPTY
    parts = [call.get("date") or ""]
    if call.get("summary"):
        parts.append(call["summary"])
    if call.get("sentiment"):
        parts.append(("sentiment: " if language == "en" else "ánimo: ") + call["sentiment"])
    return " — ".join(p for p in parts if p)


def _actions(actions: list[dict[str, Any]]) -> str:
    lines = []
    for a in actions[:8]:
        due = f", {a['due'][:16].replace('T', ' ')}" if a.get("due") else ""
        lines.append(f"[id {a['id']}] {a['type']}: {a['description']}{due}")
    return "; ".join(lines) or EMPTY


def system_prompt_text(
    context: dict[str, Any],
    *,
    channel: str,
    language: str,
    timezone: str,
    now: datetime | None = None,
    business: str = "Hilo",
) -> str:
    lang = language if language in ("es", "en") else "es"
    now = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone))
    profile = dict(context.get("profile") or {})
    values = dict(
        business=business,
        name=context.get("name") or ("the customer" if lang == "en" else "el cliente"),
        channel_label=CHANNEL_LABELS[lang].get(channel, "chat"),
        channel_style=prompts.catalogue("channel_styles", lang).get(channel, ""),
        now=spoken_now(now, lang),
        timezone=timezone,
        profile=json.dumps(profile, ensure_ascii=False) if profile else EMPTY,
        last_call=_last_call(context.get("last_call"), lang),
        topics=_items(context.get("topics") or []),
        pending_questions=_items(context.get("pending_questions") or []),
        next_steps=_items(context.get("agreed_next_steps") or []),
        objections=_items(context.get("objections") or []),
        next_actions=_actions(context.get("next_actions") or []),
        human_messages=_items(
            [m["text"] for m in context.get("recent_messages") or [] if m.get("role") == "human"],
            limit=3,
        ),
    )
    return prompts.render("system", lang, **{k: as_data(v) for k, v in values.items()})
