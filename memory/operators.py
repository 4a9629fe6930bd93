"""Operators (the people behind the dashboard), their sessions and API tokens: SQL only.

Hashing passwords is the caller's (server.auth, argon2); session ids and tokens arrive here
already hashed (sha256), so nothing stored can be replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import errors

from memory.errors import MemoryError_
from memory.store import Memory


class OperatorExists(MemoryError_, ValueError):
    """An operator with that email already exists."""


class UnknownOperator(MemoryError_, LookupError):
    """No operator with that email."""


class InvalidEmail(MemoryError_, ValueError):
    """Not something an operator could sign in with (it needs a local part, `@` and a domain)."""


@dataclass
class OperatorRecord:
    id: int
    email: str
    name: str | None
    password_hash: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass
class SessionRecord:
    operator_id: int
    email: str
    name: str | None
    csrf_token: str
    expires_at: datetime


_COLS = "id, email, name, password_hash, active, created_at, last_login_at"


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


async def create_operator(
    memory: Memory, email: str, password_hash: str, *, name: str | None = None
) -> OperatorRecord:
    email = normalize_email(email)
    async with memory.pool.connection() as conn:
        try:
            row = await (
                await conn.execute(
                    f"""INSERT INTO operators (email, name, password_hash) VALUES (%s, %s, %s)
                        RETURNING {_COLS}""",
                    (email, name, password_hash),
                )
            ).fetchone()
        except errors.UniqueViolation:
            raise OperatorExists(f"an operator with email {email} already exists") from None
        except errors.CheckViolation:
            raise InvalidEmail(f"not an email address: {email!r}") from None
    assert row is not None
    return OperatorRecord(**row)


async def get_operator_by_email(memory: Memory, email: str) -> OperatorRecord | None:
    if "\x00" in email:  # no stored email holds one (and PostgreSQL text cannot)
        return None
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"SELECT {_COLS} FROM operators WHERE email = %s", (normalize_email(email),)
            )
        ).fetchone()
    return OperatorRecord(**row) if row else None


async def list_operators(memory: Memory) -> list[OperatorRecord]:
    async with memory.pool.connection() as conn:
        rows = await (await conn.execute(f"SELECT {_COLS} FROM operators ORDER BY id")).fetchall()
    return [OperatorRecord(**r) for r in rows]


async def set_operator_active(memory: Memory, email: str, active: bool) -> None:
    """Enable or disable an account; disabling also ends its sessions and tokens."""
    async with memory.pool.connection() as conn, conn.transaction():
        row = await (
            await conn.execute(
                "UPDATE operators SET active = %s WHERE email = %s RETURNING id",
                (active, normalize_email(email)),
            )
        ).fetchone()
        if row is None:
            raise UnknownOperator(f"no operator with email {normalize_email(email)}")
        if not active:
            await conn.execute("DELETE FROM operator_sessions WHERE operator_id = %s", (row["id"],))
            await conn.execute(
                "UPDATE operator_tokens SET revoked_at = now() "
                "WHERE operator_id = %s AND revoked_at IS NULL",
                (row["id"],),
            )


async def set_password_hash(memory: Memory, operator_id: int, password_hash: str) -> None:
    async with memory.pool.connection() as conn:
        await conn.execute(
            "UPDATE operators SET password_hash = %s WHERE id = %s", (password_hash, operator_id)
        )


@dataclass
class SignInAttempt:
    """The count of sign-in attempts of one key (an email, a client address) in its window."""

    key: str
    attempts: int
    window_start: datetime


def email_key(email: str) -> str:
    # Counted under the normalised email, cut to a bounded length (it is attacker-supplied
    # text), the same way when reserved and when refunded.
    return "email:" + normalize_email(email).replace("\x00", "")[:200]


def address_key(address: str) -> str:
    return "address:" + address.replace("\x00", "")[:100]


async def count_sign_in_attempt(
    memory: Memory, keys: list[str], window: timedelta
) -> list[SignInAttempt]:
    """Count one more attempt under each key, atomically, and return the counts.

    A key's window starts at its first attempt and lasts `window`; the next attempt after it
    starts a new one. The increment and the read are one statement per key (the row lock of
    ON CONFLICT DO UPDATE orders concurrent attempts), so N parallel attempts see 1 … N.
    """
    async with memory.pool.connection() as conn, conn.transaction():
        rows = await (
            await conn.execute(
                """INSERT INTO sign_in_attempts AS a (key, window_start, attempts)
                   SELECT k, now(), 1 FROM unnest(%s::text[]) WITH ORDINALITY AS t (k, i)
                   ORDER BY i
                   ON CONFLICT (key) DO UPDATE SET
                       attempts = CASE WHEN a.window_start <= now() - %s THEN 1
                                       ELSE a.attempts + 1 END,
                       window_start = CASE WHEN a.window_start <= now() - %s THEN now()
                                           ELSE a.window_start END
                   RETURNING a.key, a.attempts, a.window_start""",
                (keys, window, window),
            )
        ).fetchall()
        # Keep the table small: keys whose window ended long ago count for nothing.
        await conn.execute(
            "DELETE FROM sign_in_attempts WHERE window_start < now() - interval '1 day'"
        )
    return [SignInAttempt(**r) for r in rows]


async def refund_sign_in_attempt(memory: Memory, keys: list[str]) -> None:
    """Take back one counted attempt under each key (a sign-in that succeeded is no guess)."""
    async with memory.pool.connection() as conn:
        await conn.execute(
            """UPDATE sign_in_attempts SET attempts = greatest(attempts - 1, 0)
               WHERE key = ANY(%s::text[])""",
            (keys,),
        )


async def create_session(
    memory: Memory, operator_id: int, id_hash: str, csrf_token: str, lifetime: timedelta
) -> None:
    async with memory.pool.connection() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO operator_sessions (id_hash, operator_id, csrf_token, expires_at)
               VALUES (%s, %s, %s, now() + %s)""",
            (id_hash, operator_id, csrf_token, lifetime),
        )
        await conn.execute(
            "UPDATE operators SET last_login_at = now() WHERE id = %s", (operator_id,)
        )
        await conn.execute("DELETE FROM operator_sessions WHERE expires_at < now()")


async def get_session(memory: Memory, id_hash: str) -> SessionRecord | None:
    """The live session with that id hash, of an active operator."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """SELECT s.operator_id, o.email, o.name, s.csrf_token, s.expires_at
                   FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
                   WHERE s.id_hash = %s AND s.expires_at > now() AND o.active""",
                (id_hash,),
            )
        ).fetchone()
    return SessionRecord(**row) if row else None


async def delete_session(memory: Memory, id_hash: str) -> None:
    async with memory.pool.connection() as conn:
        await conn.execute("DELETE FROM operator_sessions WHERE id_hash = %s", (id_hash,))


async def create_token(memory: Memory, operator_id: int, token_hash: str, name: str) -> int:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """INSERT INTO operator_tokens (operator_id, name, token_hash)
                   VALUES (%s, %s, %s) RETURNING id""",
                (operator_id, name[:100] or "api", token_hash),
            )
        ).fetchone()
    assert row is not None
    return int(row["id"])


async def operator_for_token(memory: Memory, token_hash: str) -> SessionRecord | None:
    """The active operator owning a live token (its csrf field is empty: tokens need none)."""
    # last_used_at is refreshed at most once a minute: a write (and a row lock that concurrent
    # requests with the same token would queue on) on every API call buys nothing.
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """WITH live AS (
                       SELECT t.id, t.last_used_at, o.id AS operator_id, o.email, o.name
                       FROM operator_tokens t JOIN operators o ON o.id = t.operator_id
                       WHERE t.token_hash = %s AND t.revoked_at IS NULL AND o.active),
                   touched AS (
                       UPDATE operator_tokens SET last_used_at = now()
                       WHERE id IN (SELECT id FROM live WHERE last_used_at IS NULL
                                    OR last_used_at < now() - interval '1 minute'))
                   SELECT operator_id, email, name FROM live""",
                (token_hash,),
            )
        ).fetchone()
    if row is None:
        return None
    return SessionRecord(
        operator_id=row["operator_id"],
        email=row["email"],
        name=row["name"],
        csrf_token="",
        expires_at=datetime.max,
    )


async def revoke_token(memory: Memory, operator_id: int, token_id: int) -> bool:
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """UPDATE operator_tokens SET revoked_at = now()
                   WHERE id = %s AND operator_id = %s AND revoked_at IS NULL RETURNING id""",
                (token_id, operator_id),
            )
        ).fetchone()
    return row is not None
