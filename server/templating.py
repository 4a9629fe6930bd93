"""The dashboard's Jinja2 templates (server/templates), autoescaped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def local_time(value: str | datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO timestamp shown in the business's time zone (pages stay readable for operators)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime(fmt)
    return moment.astimezone(ZoneInfo(timezone)).strftime(fmt)


templates.env.filters["local"] = local_time
