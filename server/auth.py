"""Operator authentication: argon2 passwords, server-side sessions in an HTTP-only cookie, CSRF
tokens for cookie-authenticated writes, and bearer tokens for the JSON API.

- Pages (`page_operator`): the `hilo_session` cookie, else a redirect to `/login?next=…`.
- API (`current_operator`): `Authorization: Bearer <token>`, or the cookie; with the cookie,
  a write (POST/PUT/PATCH/DELETE) needs header `X-CSRF-Token` equal to the session's token.
- Forms (`check_csrf_form`): the hidden `csrf_token` field must equal the session's token.
The cookie is HttpOnly, SameSite=Lax and Secure when the site is served over https (the request
or `HILO_PUBLIC_URL`). Session ids and tokens are stored as sha256 hashes only.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import HTTPException, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from memory import Memory
from memory.operators import (
    OperatorRecord,
    SessionRecord,
    address_key,
    count_sign_in_attempt,
    create_session,
    email_key,
    get_operator_by_email,
    get_session,
    operator_for_token,
    refund_sign_in_attempt,
    set_password_hash,
)

SESSION_COOKIE = "hilo_session"
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 10
MAX_FAILURES = 5  # failed sign-ins per email …
MAX_ADDRESS_FAILURES = 20  # … and per client address (an office shares one) …
FAILURE_WINDOW = timedelta(minutes=15)  # … within a window from the first, then 429
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The two ways into the API, declared so OpenAPI lists them (Swagger UI's Authorize button);
# neither refuses by itself (`auto_error=False`): `current_operator` decides, with its messages.
BEARER = HTTPBearer(
    scheme_name="bearer",
    description="An API token from `hilo operators token EMAIL` or `POST /api/tokens`.",
    auto_error=False,
)
SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description="The dashboard's session cookie (sign in at /login); writes also need the "
    "X-CSRF-Token header.",
    auto_error=False,
)
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a missing account takes as long as a wrong
    password. Made on first use, not at import: an argon2 hash is ~0.15 s of CPU and 64 MiB
    that every `hilo` process (workers, the CLI) paid at start without ever signing anyone in."""
    return _hasher.hash(secrets.token_hex(16))


def _verify(password_hash: str | None, password: str) -> None:
    """Raise unless `password` matches; against the dummy hash when there is no account."""
    _hasher.verify(password_hash if password_hash is not None else _dummy_hash(), password)


@dataclass
class Operator:
    id: int
    email: str
    name: str | None
    csrf_token: str  # empty for bearer-token requests (they need no CSRF token)
    via: str  # "session" or "token"


class NotSignedIn(Exception):
    """A page asked for without a session: the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class TooManyAttempts(Exception):
    """Too many failed sign-ins for this email, or from this client address, lately."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison. Bytes, because `compare_digest` raises on non-ASCII str and
    the given value is whatever a client sent; an empty expected value matches nothing."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def new_token() -> str:
    return "hilo_" + secrets.token_urlsafe(32)


async def authenticate(
    memory: Memory, email: str, password: str, address: str
) -> OperatorRecord | None:
    """The operator if the password is right (None otherwise); TooManyAttempts when throttled.

    The attempt is counted (per email and per client address, atomically in PostgreSQL)
    before the password is checked, and given back if it succeeds: however many guesses
    arrive at once, at most `MAX_FAILURES` per email are ever checked in a window.
    """
    keys = [email_key(email), address_key(address)]
    counts = {c.key: c.attempts for c in await count_sign_in_attempt(memory, keys, FAILURE_WINDOW)}
    if counts[keys[0]] > MAX_FAILURES or counts[keys[1]] > MAX_ADDRESS_FAILURES:
        raise TooManyAttempts(email)
    operator = await get_operator_by_email(memory, email)
    try:
        # argon2 takes tens of milliseconds of CPU: in a thread, not on the event loop.
        await asyncio.to_thread(_verify, operator.password_hash if operator else None, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if operator is None or not operator.active:
        return None
    await refund_sign_in_attempt(memory, keys)
    if _hasher.check_needs_rehash(operator.password_hash):
        await set_password_hash(memory, operator.id, _hasher.hash(password))
    return operator


async def start_session(memory: Memory, operator: OperatorRecord) -> tuple[str, str]:
    """A new session; returns (the cookie value, the CSRF token)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await create_session(memory, operator.id, sha256(session_id), csrf, SESSION_LIFETIME)
    return session_id, csrf


def secure_cookies(request: Request) -> bool:
    public = request.app.state.services.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    # The same attributes as when set: a browser may keep a Secure cookie that a plain
    # deletion does not match.
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )


def _operator(record: SessionRecord, via: str) -> Operator:
    return Operator(
        id=record.operator_id,
        email=record.email,
        name=record.name,
        csrf_token=record.csrf_token,
        via=via,
    )


async def session_operator(request: Request) -> Operator | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 200:
        return None
    memory: Memory = request.app.state.services.memory
    record = await get_session(memory, sha256(cookie))
    return _operator(record, "session") if record else None


async def current_operator(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Security(BEARER),
    cookie: str | None = Security(SESSION),
) -> Operator:
    """The API's operator: a bearer token, or the session cookie (+ CSRF header on writes)."""
    memory: Memory = request.app.state.services.memory
    if bearer is not None and bearer.credentials:
        record = await operator_for_token(memory, sha256(bearer.credentials))
        if record is None:
            raise HTTPException(
                401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        token_operator = _operator(record, "token")
        request.state.operator = token_operator
        return token_operator
    operator = await session_operator(request)
    if operator is None:
        raise HTTPException(
            401,
            "sign in (session cookie) or send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method in UNSAFE_METHODS and not same_secret(
        request.headers.get("X-CSRF-Token", ""), operator.csrf_token
    ):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header")
    request.state.operator = operator
    return operator


async def page_operator(request: Request) -> Operator:
    """The dashboard's operator (session cookie); otherwise NotSignedIn → redirect to /login."""
    operator = await session_operator(request)
    if operator is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(path)
    request.state.operator = operator
    return operator


def check_csrf_form(request: Request, operator: Operator, token: str) -> None:
    if not same_secret(token, operator.csrf_token):
        raise HTTPException(403, "the form expired or did not come from this site; reload it")


def login_redirect_target(next_path: str | None) -> str:
    """Only a path of this site: never `//host`, a scheme, a backslash trick, or control
    characters (browsers drop tabs and newlines inside URLs, so `/<TAB>/host` is `//host`)."""
    path = (next_path or "/").strip()
    if (
        not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path)
    ):
        return "/"
    return path


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")
