"""The job queue's SQL: procrastinate's tables, read and written on the caller's connection.

A webhook stores its raw event and enqueues its job in one transaction (`procrastinate`'s own
`defer_async` would use another connection, so a crash between the two could lose the job or
run it for an event that was rolled back). `enqueue` calls procrastinate's SQL function
directly; `queued_for` and `unfinished_jobs` read its job table (procrastinate's API has no
look-up by argument); `ensure_job_schema` applies its schema once, under Hilo's schema lock.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation

from memory.database import schema_lock
from memory.store import Memory

log = logging.getLogger(__name__)
DEFAULT_QUEUE = "default"


async def enqueue(
    conn: AsyncConnection[Any],
    task_name: str,
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    queue: str = DEFAULT_QUEUE,
    priority: int = 0,
    schedule_in: float | None = None,
    **task_kwargs: Any,
) -> int:
    """Queue `task_name(**task_kwargs)`; returns the job id.

    `lock`: jobs sharing it run one at a time, in the order they were queued.
    `queueing_lock`: at most one such job waiting; a second raises `AlreadyEnqueued` (inside
    a savepoint, so the caller's transaction goes on).
    `priority`: higher runs first (also among jobs sharing a lock).
    `schedule_in`: seconds from now before it may run (None: at once). A waiting job holds
    back the later jobs of its lock until it has run.
    """
    query = """SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
                   ROW(%s, %s, %s, %s, %s, %s::jsonb,
                       now() + make_interval(secs => %s))::procrastinate_job_to_defer_v1
               ])) AS id"""
    params = (
        queue,
        task_name,
        priority,
        lock,
        queueing_lock,
        json.dumps(task_kwargs),
        schedule_in,
    )
    if queueing_lock is None:
        row = await (await conn.execute(query, params)).fetchone()
    else:
        try:
            async with conn.transaction():
                row = await (await conn.execute(query, params)).fetchone()
        except UniqueViolation as exc:
            raise AlreadyEnqueued(
                f"a {task_name} job is already queued for {queueing_lock}"
            ) from exc
    assert row is not None
    return int(row["id"] if isinstance(row, dict) else row[0])


async def queued_for(
    conn: AsyncConnection[Any], task_name: str, key: str, values: list[int]
) -> set[int]:
    """Which of `values` already have a waiting or running `task_name` job whose argument
    `key` equals them (the outbox sweep re-queues only what has none)."""
    rows = await (
        await conn.execute(
            """SELECT DISTINCT args ->> %s AS value FROM procrastinate_jobs
                WHERE task_name = %s AND status IN ('todo', 'doing')
                  AND args ->> %s = ANY(%s)""",
            (key, task_name, key, [str(v) for v in values]),
        )
    ).fetchall()
    return {int(r["value"] if isinstance(r, dict) else r[0]) for r in rows}


async def unfinished_jobs(memory: Memory) -> int:
    """How many jobs are waiting or running (`hilo demo` waits for none)."""
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            )
        ).fetchone()
    return int(row["n"]) if row else 0


async def ensure_job_schema(url: str) -> bool:
    """Apply procrastinate's schema once (under Hilo's schema lock). True if it was applied."""
    async with (
        await psycopg.AsyncConnection.connect(url, autocommit=True) as conn,
        schema_lock(conn),
    ):
        row = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
        if row and row[0]:
            return False
        await conn.execute(procrastinate.schema.SchemaManager.get_schema().encode())
        log.info("applied the job queue schema")
        return True
