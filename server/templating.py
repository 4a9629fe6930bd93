"""The dashboard's Jinja2 templates (server/templates) and the filters they may use.

Everything is autoescaped, whatever the file's name: what a page shows came, one way or
another, from customers and services (names, messages, tool arguments, media links). Jinja's
`tojson` is removed: it returns markup that skips escaping and leaves `"` as is, so in a
double-quoted attribute it let a customer's words add attributes (`autofocus onfocus=…`);
`json_text` is the plain-text JSON that autoescaping then makes safe in text and attributes
alike. `https_link` decides which URLs become links: https only, anything else is shown as text.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def zone_label(timezone: str, moment: datetime | None = None) -> str:
    """The zone as operators read it: its abbreviation where it has a real one ("CET", "EST"),
    else the UTC offset ("UTC-5", "UTC+5:30"), at `moment` (now by default)."""
    at = (moment or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone))
    abbreviation = at.strftime("%Z")
    if abbreviation.isalpha() and abbreviation != "UTC":
        return abbreviation
    offset = at.utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset else 0
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_time(
    value: str | datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M", *, zone: bool = True
) -> str:
    """An ISO timestamp shown in the business's time zone, followed by the zone ("UTC-5")
    unless `zone` is false (a clock time under a heading that names the zone)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime(fmt)
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.strftime(fmt)} {zone_label(timezone, local)}" if zone else local.strftime(fmt)


def json_text(value: Any) -> str:
    """JSON as plain text (a `str`, not markup): autoescaping escapes it for where it lands."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def https_link(url: Any) -> str | None:
    """`url` if it may be a link in a page: an absolute https URL with a host and nothing a
    browser would strip or reinterpret (spaces, control characters, backslashes); else None,
    and the template shows the text instead (`javascript:`, `data:`, `http:` never link)."""
    if not isinstance(url, str) or not url.isprintable() or any(c in url for c in " \\"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return (
        url if parts.scheme == "https" and url.startswith("https://") and parts.hostname else None
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
    )
    del env.filters["tojson"]  # see the module's docstring: use json_text
    env.filters["local"] = local_time
    env.globals["zone_label"] = zone_label
    env.filters["json_text"] = json_text
    env.filters["https_link"] = https_link
    return env


templates = Jinja2Templates(env=_environment())
