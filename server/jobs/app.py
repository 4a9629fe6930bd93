"""The procrastinate app on Hilo's PostgreSQL: schema, task registry and the worker.

Crash safety: every worker sends a heartbeat (every 10 s); a periodic job puts back in the
queue the jobs of workers silent for a minute (killed, out of memory, machine lost), so a job
accepted is run even if its first worker died mid-way. Jobs are idempotent, so running one
again repeats nothing that was done. A worker asked to stop waits for its jobs a few seconds,
then interrupts them; interrupted jobs go back to the queue (server.jobs.retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import procrastinate
import psycopg

from memory.database import SCHEMA_LOCK_KEY, acquire_schema_lock
from server.jobs import actions, alerts, ingest, whatsapp

log = logging.getLogger(__name__)
STALLED_AFTER = 60.0  # seconds without a heartbeat before a worker's jobs are requeued
GRACEFUL_SHUTDOWN = 8.0  # seconds a stopping worker waits for its running jobs
REQUEUE_STALLED = "jobs:requeue_stalled"


def create_job_app(url: str) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    whatsapp.register(app)
    ingest.register(app)
    actions.register(app)
    alerts.register(app)

    async def requeue_stalled(timestamp: int) -> int:
        return await requeue_stalled_jobs(app)

    app.periodic(cron="* * * * *", periodic_id="requeue_stalled")(
        app.task(name=REQUEUE_STALLED, queueing_lock="requeue_stalled")(requeue_stalled)
    )
    return app


async def ensure_job_schema(url: str) -> bool:
    """Apply procrastinate's schema once (under Hilo's schema lock). True if it was applied."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await acquire_schema_lock(conn)
        try:
            row = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
            if row and row[0]:
                return False
            await conn.execute(procrastinate.schema.SchemaManager.get_schema().encode())
            log.info("applied the job queue schema")
            return True
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


async def requeue_stalled_jobs(
    app: procrastinate.App, *, seconds_since_heartbeat: float = STALLED_AFTER
) -> int:
    """Put back in the queue the jobs of workers that died mid-job (no heartbeat lately)."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat)
    )
    for job in stalled:
        await app.job_manager.retry_job(job)
        log.warning("requeued a stalled job", extra={"job_id": job.id, "task": job.task_name})
    return len(stalled)


def start_worker(app: procrastinate.App, *, concurrency: int = 4) -> asyncio.Task[None]:
    """Run a worker in this process's event loop (stop it by cancelling the task)."""
    return asyncio.create_task(
        app.run_worker_async(
            concurrency=concurrency,
            install_signal_handlers=False,
            wait=True,
            delete_jobs="successful",
            shutdown_graceful_timeout=GRACEFUL_SHUTDOWN,
            name="hilo-worker",
        ),
        name="hilo-worker",
    )


async def stop_worker(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(task, timeout=GRACEFUL_SHUTDOWN + 7)
