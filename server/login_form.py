"""The sign-in form's CSRF token: a value the server issued, double-submitted.

The token is `<issued unix time>.<nonce>.<HMAC-SHA256(key, "login-form:<time>.<nonce>")>`, the
key stored once in PostgreSQL (`memory.signing_keys`), so any web process verifies what any
other issued. The form carries it and so does the `hilo_login` cookie; a sign-in is taken only
when the two are equal, the MAC is the server's and the token is at most an hour old. An
equal cookie and field made up by someone else (a cookie planted by a sibling subdomain, say)
no longer passes, since nobody but the server can make the MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from memory import Memory
from memory.signing_keys import signing_key

KEY_NAME = "login-form"
LIFETIME_SECONDS = 3600  # the cookie's max-age too
_keys: dict[str, bytes] = {}  # per database: read once per process


async def _key(memory: Memory) -> bytes:
    key = _keys.get(memory.url)
    if key is None:
        key = _keys[memory.url] = await signing_key(memory, KEY_NAME)
    return key


def _mac(key: bytes, stamp: str, nonce: str) -> str:
    message = f"{KEY_NAME}:{stamp}.{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def issue_login_token(memory: Memory, *, now: float | None = None) -> str:
    """A new sign-in form token."""
    stamp, nonce = str(int(time.time() if now is None else now)), secrets.token_urlsafe(18)
    return f"{stamp}.{nonce}.{_mac(await _key(memory), stamp, nonce)}"


async def login_token_is_valid(memory: Memory, field: str, cookie: str) -> bool:
    """Whether the form's token equals the cookie's, was issued here and is still fresh."""
    if not field or not hmac.compare_digest(field.encode(), cookie.encode()):
        return False
    stamp, _, rest = field.partition(".")
    nonce, _, mac = rest.partition(".")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12 and nonce and mac):
        return False
    if not 0 <= time.time() - int(stamp) <= LIFETIME_SECONDS:
        return False
    return hmac.compare_digest(mac.encode(), _mac(await _key(memory), stamp, nonce).encode())
