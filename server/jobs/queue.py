"""Enqueue a job on the caller's own connection, inside the caller's transaction.

A webhook stores its raw event and enqueues its job in one transaction (`procrastinate`'s own
`defer_async` would use another connection, so a crash between the two could lose the job or
run it for an event that was rolled back). This calls procrastinate's SQL function directly.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import AsyncConnection

DEFAULT_QUEUE = "default"


async def enqueue(
    conn: AsyncConnection[Any],
    task_name: str,
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    queue: str = DEFAULT_QUEUE,
    **task_kwargs: Any,
) -> int:
    row = await (
        await conn.execute(
            """SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
                   ROW(%s, %s, 0, %s, %s, %s::jsonb, NULL)::procrastinate_job_to_defer_v1
               ])) AS id""",
            (queue, task_name, lock, queueing_lock, json.dumps(task_kwargs)),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"] if isinstance(row, dict) else row[0])
