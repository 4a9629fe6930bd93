"""Schema migrations: versioned SQL files applied in order, each once, under an advisory lock.

Files live in `memory/migrations/NNNN_name.sql`. Each is applied in its own transaction together
with its row in `schema_migrations`, so a failed migration leaves nothing half-applied. A
session-level advisory lock makes concurrent `hilo db migrate` runs (several workers starting at
once) queue up: the first applies, the others find nothing left to do.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources

import psycopg

from memory.database import SCHEMA_LOCK_KEY as MIGRATION_LOCK_KEY
from memory.database import ensure_pgvector, schema_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """The migrations shipped with Hilo, in version order."""
    found = []
    for entry in resources.files("memory.migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        version_text, _, rest = entry.name.partition("_")
        found.append(Migration(int(version_text), rest.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


async def migrate(url: str) -> list[str]:
    """Apply every pending migration; return the names applied (empty when up to date)."""
    applied: list[str] = []
    await ensure_pgvector(url)
    async with (
        await psycopg.AsyncConnection.connect(url, autocommit=True) as conn,
        schema_lock(conn, MIGRATION_LOCK_KEY),
    ):
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        rows = await (
            await conn.execute("SELECT version, checksum FROM schema_migrations")
        ).fetchall()
        done = {version: checksum for version, checksum in rows}
        for migration in load_migrations():
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    log.warning(
                        "migration %04d_%s changed after it was applied",
                        migration.version,
                        migration.name,
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql.encode())
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            applied.append(f"{migration.version:04d}_{migration.name}")
            log.info("applied migration %04d_%s", migration.version, migration.name)
    return applied
