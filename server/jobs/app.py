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
from dataclasses import dataclass

import procrastinate

from memory.database import POOL_WAIT_SECONDS, ReconnectingPool
from memory.queue import ensure_job_schema as ensure_job_schema  # re-exported
from server.jobs import actions, alerts, ingest, whatsapp
from server.jobs.supervisor import SupervisedWorker, WorkerFailed

log = logging.getLogger(__name__)
STALLED_AFTER = 60.0  # seconds without a heartbeat before a worker's jobs are requeued
FETCH_POLL = 0.5  # seconds between an idle worker's looks for jobs no NOTIFY announced
MAINTENANCE_PRIORITY = 10  # the stalled-job requeue runs ahead of a backlog of turns
GRACEFUL_SHUTDOWN = 8.0  # seconds a stopping worker waits for its running jobs
REQUEUE_STALLED = "jobs:requeue_stalled"


def create_job_app(url: str, *, stalled_after: float = STALLED_AFTER) -> procrastinate.App:
    # procrastinate's pool checks each connection it hands out: after a database restart the
    # broken ones are replaced instead of failing the next job fetch. A short wait for a
    # connection lets a worker whose database is gone notice it in seconds, not in 30.
    connector = procrastinate.PsycopgConnector(
        conninfo=url, timeout=POOL_WAIT_SECONDS, pool_factory=ReconnectingPool
    )
    app = procrastinate.App(connector=connector)
    whatsapp.register(app)
    ingest.register(app)
    actions.register(app)
    alerts.register(app)

    async def requeue_stalled(timestamp: int) -> int:
        return await requeue_stalled_jobs(app, seconds_since_heartbeat=stalled_after)

    app.periodic(cron=requeue_cron(stalled_after), periodic_id="requeue_stalled")(
        app.task(
            name=REQUEUE_STALLED, queueing_lock="requeue_stalled", priority=MAINTENANCE_PRIORITY
        )(requeue_stalled)
    )
    return app


def requeue_cron(stalled_after: float) -> str:
    """Look for stalled jobs every quarter of the threshold, and at least once a minute."""
    step = int(stalled_after // 4)
    return "* * * * *" if step >= 60 else f"* * * * * */{max(step, 1)}"  # 6th field: seconds


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


@dataclass
class RunningWorker:
    """A supervised worker running in this process's event loop."""

    supervisor: SupervisedWorker
    task: asyncio.Task[None]

    @property
    def alive(self) -> bool:
        return not self.task.done() and self.supervisor.state != "failed"


def start_worker(
    app: procrastinate.App,
    url: str,
    *,
    concurrency: int = 4,
    retry_budget: float = 120.0,
    stalled_after: float = STALLED_AFTER,
) -> RunningWorker:
    """Run a supervised worker in this process's event loop (see server.jobs.supervisor)."""
    supervisor = SupervisedWorker(
        app,
        url,
        concurrency=concurrency,
        retry_budget=retry_budget,
        worker_options={
            "install_signal_handlers": False,
            "wait": True,
            "delete_jobs": "successful",
            "shutdown_graceful_timeout": GRACEFUL_SHUTDOWN,
            "name": "hilo-worker",
            # A job its lock held back (the customer's previous turn or send) is not announced
            # when the lock frees: the worker finds it at its next poll.
            "fetch_job_polling_interval": FETCH_POLL,
            "update_heartbeat_interval": stalled_after / 6,
            "stalled_worker_timeout": stalled_after,
        },
    )
    return RunningWorker(supervisor, asyncio.create_task(supervisor.run(), name="hilo-worker"))


async def stop_worker(worker: RunningWorker) -> None:
    worker.supervisor.stop()
    worker.task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError, WorkerFailed):
        await asyncio.wait_for(worker.task, timeout=GRACEFUL_SHUTDOWN + 7)
