"""Text as PostgreSQL can store it, whatever an edge let through.

PostgreSQL `text` and `jsonb` cannot hold NUL (U+0000), and UTF-8 cannot encode a lone
surrogate (U+D800–U+DFFF, which JSON's `\\ud800` escapes produce): either one makes the whole
statement fail, so a message would be lost over one odd character. The edges strip NULs and
refuse surrogates where they parse requests (`server.bodies`); this is the safety net under
every one of them:

- every `str` Hilo sends as a query parameter goes through `_CleanStrDumper`, registered on
  psycopg's global adapters on import (so on every connection): NULs removed, a lone surrogate
  replaced by U+FFFD;
- `jsonb(value)` is the JSON text of a value for a `jsonb` parameter, cleaned the same way in
  every string and key (JSON escapes them, so the dumper never sees them).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown


def clean_text(text: str) -> str:
    """`text` without NULs and with lone surrogates replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def clean_value(value: Any) -> Any:
    """A JSON-able value with every string and key passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_value(v) for k, v in value.items()}
    return value


def jsonb(value: Any) -> str:
    """The JSON text of `value` for a `jsonb` parameter (see the module docstring)."""
    return json.dumps(clean_value(value))


class _CleanStrDumper(StrDumperUnknown):
    def dump(self, obj: str) -> Any:
        return super().dump(clean_text(obj))


class _CleanStrBinaryDumper(StrBinaryDumper):
    def dump(self, obj: str) -> Any:
        return super().dump(clean_text(obj))


def register_clean_str_dumpers(adapters: psycopg.adapt.AdaptersMap = psycopg.adapters) -> None:
    # The text one last: psycopg uses the last one registered for `%s` (text, as before).
    adapters.register_dumper(str, _CleanStrBinaryDumper)
    adapters.register_dumper(str, _CleanStrDumper)


register_clean_str_dumpers()
