"""Voice replies: synthesised audio kept until Twilio fetches it, once, before it expires.

The token is the URL's secret (`secrets.token_urlsafe(32)`, 256 bits); a fetch takes the audio
(`fetched_at` set in the same statement), so a second fetch, or one after `expires_at`, finds
nothing. Expired rows are deleted when a new reply is stored.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from memory.store import Memory


async def store_voice_reply(
    memory: Memory, customer_id: int, audio: bytes, content_type: str, *, ttl: timedelta
) -> str:
    """Keep `audio` for one fetch within `ttl`; returns its token."""
    token = secrets.token_urlsafe(32)
    async with memory.pool.connection() as conn, conn.transaction():
        await conn.execute("DELETE FROM voice_replies WHERE expires_at < now() - interval '1 day'")
        await conn.execute(
            """INSERT INTO voice_replies (token, customer_id, audio, content_type, expires_at)
               VALUES (%s, %s, %s, %s, now() + %s)""",
            (token, customer_id, audio, content_type, ttl),
        )
    return token


async def take_voice_reply(memory: Memory, token: str) -> tuple[bytes, str] | None:
    """The audio behind `token`, once, while it has not expired; None otherwise."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                """UPDATE voice_replies SET fetched_at = now()
                    WHERE token = %s AND fetched_at IS NULL AND expires_at > now()
                RETURNING audio, content_type""",
                (token,),
            )
        ).fetchone()
    return (bytes(row["audio"]), str(row["content_type"])) if row else None
