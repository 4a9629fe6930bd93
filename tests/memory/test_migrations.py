"""Migrations: applied once, in order, and safe when several processes migrate at once."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg

from memory.migrate import load_migrations, migrate
from tests.conftest import create_database, drop_database

EXPECTED_TABLES = {
    "customers",
    "interactions",
    "messages",
    "memory_chunks",
    "insights",
    "next_actions",
    "escalations",
    "webhook_events",
    "schema_migrations",
}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def _applied(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT version FROM schema_migrations ORDER BY version"
            ).fetchall()
        ]


async def test_migrating_twice_applies_each_migration_once(pg_admin_url, fresh_db_name):
    url = create_database(pg_admin_url, fresh_db_name)
    try:
        first = await migrate(url)
        second = await migrate(url)
        assert len(first) == len(load_migrations())
        assert second == []
        assert _applied(url) == [m.version for m in load_migrations()]
        assert _tables(url) >= EXPECTED_TABLES
    finally:
        drop_database(pg_admin_url, fresh_db_name)


def test_two_concurrent_cli_migrations_end_with_one_schema(pg_admin_url, fresh_db_name):
    url = create_database(pg_admin_url, fresh_db_name)
    try:
        env = {**os.environ, "DATABASE_URL": url}
        cmd = [sys.executable, "-m", "server.cli", "db", "migrate"]
        procs = [
            subprocess.Popen(
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        said = sorted(out.strip() for out, _ in outputs)
        assert said[1] == "schema is up to date" and said[0].startswith("applied:"), said
        assert _applied(url) == [m.version for m in load_migrations()]
        assert _tables(url) >= EXPECTED_TABLES
    finally:
        drop_database(pg_admin_url, fresh_db_name)
