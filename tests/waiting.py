"""Waiting in tests: on a condition, never for a fixed time.

`wait_until` polls a predicate until it holds. `queue_drained` says whether the job queue has
nothing left to run: no procrastinate job waiting or running, a retry scheduled in the next
minutes counted as waiting. "Nothing more arrives" is asserted once the queue is drained
(`wait_until_drained`), when every job that could still send, alert or ingest has finished; a
sleep would only guess how long that takes, and pass while a late retry is still due.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

Predicate = Callable[[], bool | Awaitable[bool]]

# A job scheduled this soon is still to come: procrastinate's retries go back to 'todo' with a
# later scheduled_at (Hilo's back-offs are seconds to about a minute). Jobs scheduled later
# than this are not waited for.
SOON = timedelta(minutes=2)

_PENDING_JOBS = """
    SELECT id, task_name, status::text AS status, attempts, scheduled_at
    FROM procrastinate_jobs
    WHERE (status = 'doing'
           OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now() + %(soon)s)))
      AND (%(tasks)s::text[] IS NULL OR task_name = ANY(%(tasks)s::text[]))
    ORDER BY id
"""


async def wait_until(
    predicate: Predicate, timeout: float = 20.0, *, what: str | None = None, every: float = 0.1
) -> None:
    """Return as soon as `predicate()` (sync or async) is true; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            name = what or getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(f"not within {timeout:g} s: {name}")
        await asyncio.sleep(every)


async def pending_jobs(
    url: str, tasks: Iterable[str] | None = None, *, soon: timedelta = SOON
) -> list[dict[str, Any]]:
    """The jobs still to run: running, waiting, or a retry scheduled within `soon`."""
    params = {"soon": soon, "tasks": None if tasks is None else list(tasks)}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        return await (await cursor.execute(_PENDING_JOBS, params)).fetchall()


async def queue_drained(
    url: str, tasks: Iterable[str] | None = None, *, soon: timedelta = SOON
) -> bool:
    """True when no job of `tasks` (all tasks if None) is running, waiting or due soon."""
    return not await pending_jobs(url, tasks, soon=soon)


async def wait_until_drained(
    url: str, tasks: Iterable[str] | None = None, *, timeout: float = 60.0
) -> None:
    """Wait until `queue_drained`; on a timeout, say which jobs were left."""
    wanted = None if tasks is None else list(tasks)
    try:
        await wait_until(lambda: queue_drained(url, wanted), timeout, what="the job queue drained")
    except AssertionError:
        left = [
            f"{j['task_name']} #{j['id']} {j['status']} (attempts {j['attempts']}, "
            f"scheduled {j['scheduled_at']})"
            for j in await pending_jobs(url, wanted)
        ]
        raise AssertionError(
            f"the job queue did not drain within {timeout:g} s; left: {left}"
        ) from None
