"""Server-level operations on a PostgreSQL cluster: databases created from a template and
dropped (the eval runner gives every case its own clone), and a bare reachability ping.

Names are quoted as identifiers by psycopg, never formatted into the SQL text.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo


def create_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    """Create database `name` (a copy of `template` when given); returns its connection URL."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)
    return make_conninfo(admin_url, dbname=name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name` if it exists, closing its connections."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


async def ping(url: str, *, connect_timeout: int = 5) -> None:
    """Connect and run one trivial query; raises psycopg.Error when the server is unreachable."""
    async with await psycopg.AsyncConnection.connect(url, connect_timeout=connect_timeout) as conn:
        await conn.execute("SELECT 1")
