"""Several processes starting at once on an empty database (`hilo serve --workers 4`, a fleet of
`hilo worker`s) all come up: migrations, the job schema and LangGraph's checkpoint tables are
each applied once, under a schema lock taken without blocking inside a query (LangGraph's
`CREATE INDEX CONCURRENTLY` would otherwise wait forever for the blocked waiter)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from config import Settings
from server.services import start_services
from tests.conftest import create_database, drop_database


async def test_four_processes_start_together_on_an_empty_database(
    pg_admin_url: str, tmp_path: Path
) -> None:
    name = "t_start_" + uuid.uuid4().hex[:10]
    url = create_database(pg_admin_url, name)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        data_dir=tmp_path / "hilo",
        llm="rules",
    )
    try:
        started = await asyncio.wait_for(
            asyncio.gather(*(start_services(settings) for _ in range(4))), timeout=90
        )
        for services in started:
            async with services.memory.pool.connection() as conn:
                row = await (
                    await conn.execute("SELECT count(*) AS n FROM checkpoint_migrations")
                ).fetchone()
            assert row is not None and row["n"] > 0
        for services in started:
            await services.close()
    finally:
        drop_database(pg_admin_url, name)
