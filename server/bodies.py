"""Request bodies read within bounds, for the routes that read their own (webhooks, live tools).

- `read_body`: the raw bytes, refused with 413 past a size limit (declared or streamed).
- `parse_json`: strict JSON: `NaN`/`Infinity`, lone surrogates (not Unicode, PostgreSQL cannot
  store them) and nesting deeper than `MAX_JSON_DEPTH` are 400; NUL characters (PostgreSQL text
  and jsonb cannot hold them) are removed from every string and key rather than losing the
  request.
- `parse_form`: a form-urlencoded body as a dict (the last value of a repeated field), decoded
  exactly as Starlette decodes forms (so signatures check the same values), NULs kept: a
  signature covers them; `without_nul` removes them once it has been checked.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request

MAX_JSON_DEPTH = 64
MAX_FORM_FIELDS = 1000


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, or 413 if it is larger than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def _nesting(raw: bytes) -> int:
    """How deep `raw`'s arrays and objects nest, read without recursion (strings skipped).

    Checked before parsing: letting `json.loads` hit Python's recursion limit and catching the
    RecursionError leaves CPython 3.11's compiler in a bad state for the thread (later
    `compile` calls fail with "AST constructor recursion depth mismatch").
    """
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(raw: bytes) -> Any:
    """Strict JSON with NULs removed (see the module docstring); HTTPException 400 otherwise."""
    if _nesting(raw) > MAX_JSON_DEPTH:
        raise HTTPException(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH}")
    try:
        value = json.loads(raw, parse_constant=_constant)
    except RecursionError:
        raise HTTPException(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH}") from None
    except ValueError as exc:  # also UnicodeDecodeError: not UTF-8
        raise HTTPException(400, f"the body is not JSON: {exc}") from None
    try:
        return _clean(value)
    except UnicodeEncodeError:
        raise HTTPException(400, "the JSON holds a lone surrogate (\\ud800-\\udfff)") from None


def _clean_text(text: str) -> str:
    text.encode("utf-8")  # a lone surrogate raises here
    return text.replace("\x00", "") if "\x00" in text else text


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise HTTPException(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH}")
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_clean_text(k): _clean(v, depth + 1) for k, v in value.items()}
    return value


async def json_object(request: Request, limit: int) -> dict[str, Any]:
    """A bounded, strict JSON object body (400 not JSON, 413 too large, 422 not an object)."""
    body = parse_json(await read_body(request, limit))
    if not isinstance(body, dict):
        raise HTTPException(422, "the body must be a JSON object")
    return body


def parse_form(raw: bytes) -> dict[str, str]:
    """A form-urlencoded body (400 if it has more than `MAX_FORM_FIELDS` fields)."""
    try:
        pairs = parse_qsl(
            raw.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError as exc:
        raise HTTPException(400, f"the form cannot be read: {exc}") from None
    return dict(pairs)


def without_nul(form: dict[str, str]) -> dict[str, str]:
    """The form with NUL characters removed from names and values (PostgreSQL cannot store
    them): a message that carries one is still processed, without it."""
    return {k.replace("\x00", ""): v.replace("\x00", "") for k, v in form.items()}
