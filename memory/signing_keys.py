"""Keys the server signs its own values with (`signing_keys`): one per purpose, made by the
first process that needs it and then shared by every process on the database, so a value one
web process issued verifies in another and after a restart."""

from __future__ import annotations

import secrets

from memory.store import Memory


async def signing_key(memory: Memory, name: str) -> bytes:
    """The key named `name`, created (32 random bytes) if there is none yet."""
    async with memory.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO signing_keys (name, key) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_bytes(32)),
        )
        row = await (
            await conn.execute("SELECT key FROM signing_keys WHERE name = %s", (name,))
        ).fetchone()
    assert row is not None
    return bytes(row["key"])
