"""A job worker that rides out its database: restarted with backoff, never silently dead.

procrastinate's worker stops for good when one of its side tasks fails (the LISTEN connection
is cut by a database restart or a crash recovery: "Side task listener failed … stopping
worker"), and its job loop raises when a fetch fails. `SupervisedWorker` runs it in a loop:
when it ends without being asked to, the supervisor waits (backoff from 0.5 s to 10 s between
restarts) and for the database (looked at every 2 s at most, so a worker is back within 2 s of
its database), starts a new worker and puts the old one's jobs straight back in the queue
(they would otherwise wait for the stalled-worker sweep). When the database stays unreachable
longer than the retry budget, or the worker keeps dying while the database answers, the
supervisor gives up: its `state` is "failed", `/readyz` answers 503 naming the worker, and
`hilo worker` exits non-zero so that a supervisor (systemd, Kubernetes, compose) restarts it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Literal

import procrastinate
import procrastinate.exceptions
import psycopg

from memory.admin import ping

log = logging.getLogger(__name__)
WorkerState = Literal["starting", "running", "reconnecting", "failed", "stopped"]
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
PING_MAX = 2.0  # seconds between looks for a database that did not answer: back within 2 s
HEALTHY_RUN = 30.0  # a run this long resets the count of quick deaths
QUICK_DEATHS = 5  # deaths in a row, each shorter than HEALTHY_RUN, with the database up
ORPHAN_SWEEP = 5.0  # seconds between looks for this worker's orphaned jobs
RECOVERY_ATTEMPTS = 5  # tries at requeueing a dead worker's jobs before leaving them to the sweep


class WorkerFailed(RuntimeError):
    """The worker could not be kept running within its retry budget."""


@dataclass
class SupervisedWorker:
    """Run `app`'s worker until stopped; see the module docstring for what it survives."""

    app: procrastinate.App
    url: str
    concurrency: int = 4
    retry_budget: float = 120.0
    worker_options: dict[str, object] = field(default_factory=dict)
    state: WorkerState = "starting"
    last_error: str | None = None
    restarts: int = 0
    _stopping: bool = False

    async def run(self) -> None:
        """Run (and restart) the worker; returns when stopped, raises `WorkerFailed`."""
        backoff, quick_deaths = BACKOFF_FIRST, 0
        while not self._stopping:
            worker = self.app._worker(concurrency=self.concurrency, **self.worker_options)  # type: ignore[arg-type]
            started = time.monotonic()
            self.state = "running"
            sweeper = asyncio.create_task(self._sweep_orphans(worker), name="orphan-sweep")
            try:
                await worker.run()
                error = "the worker stopped by itself (a side task failed)"
            except asyncio.CancelledError:
                self.state = "stopped"
                raise
            except Exception as exc:  # any death is restarted; its cause is logged
                error = f"{type(exc).__name__}: {exc}"
            finally:
                sweeper.cancel()
            if self._stopping:
                break
            self.last_error = error
            ran = time.monotonic() - started
            quick_deaths = quick_deaths + 1 if ran < HEALTHY_RUN else 1
            if ran >= HEALTHY_RUN:
                backoff = BACKOFF_FIRST
            self.state = "reconnecting"
            log.warning(
                "job worker stopped; restarting once the database answers",
                extra={"error": error, "ran_seconds": round(ran, 1)},
            )
            await self._wait_for_database(backoff)
            if quick_deaths > QUICK_DEATHS:
                self._give_up(f"it died {quick_deaths} times in a row: {error}")
            await self._recover_jobs_of(worker.worker_id)
            self.restarts += 1
            backoff = min(backoff * 2, BACKOFF_MAX)
        self.state = "stopped"

    def stop(self) -> None:
        self._stopping = True

    async def _wait_for_database(self, backoff: float) -> None:
        deadline = time.monotonic() + self.retry_budget
        delay = backoff
        while True:
            await asyncio.sleep(delay)
            try:
                await ping(self.url, connect_timeout=5)
                return
            except psycopg.Error as exc:
                self.last_error = f"database unreachable: {type(exc).__name__}"
            if time.monotonic() > deadline:
                self._give_up(
                    f"the database stayed unreachable for {self.retry_budget:.0f} s "
                    "(HILO_WORKER_RETRY_BUDGET)"
                )
            delay = min(delay * 2, PING_MAX)

    async def _recover_jobs_of(self, worker_id: int | None) -> None:
        """Put the dead worker's jobs back in the queue now (jobs are idempotent).

        Unregistering it detaches its jobs (`worker_id` set to NULL), and procrastinate's own
        stalled-job look-up returns detached jobs whatever the heartbeat. The database has just
        answered, but procrastinate's pool may still hand out a connection the restart broke:
        a failed attempt is tried again, and after a few the stalled-job sweep (a heartbeat
        older than HILO_JOB_STALLED_AFTER) takes the jobs instead. Nothing here ends the
        supervisor.
        """
        if worker_id is None:
            return
        manager = self.app.job_manager
        delay = BACKOFF_FIRST
        for attempt in range(RECOVERY_ATTEMPTS):
            try:
                await manager.unregister_worker(worker_id)
                stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=3600)
                detached = [job for job in stalled if job.worker_id is None]
                for job in detached:
                    await manager.retry_job(job)
                if detached:
                    log.warning("requeued the jobs of a dead worker", extra={"jobs": len(detached)})
                return
            except (psycopg.Error, procrastinate.exceptions.ConnectorException) as exc:
                error = f"{type(exc).__name__}: {exc}".strip()
                if attempt + 1 == RECOVERY_ATTEMPTS:
                    log.warning(
                        "could not requeue a dead worker's jobs now; the stalled-job sweep will",
                        extra={"worker_id": worker_id, "error": error},
                    )
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    async def _sweep_orphans(self, worker: procrastinate.worker.Worker) -> None:
        """Requeue jobs the database says this live worker runs but it does not.

        A worker can ride out a short outage (procrastinate's listener reconnects by itself),
        while a job that failed or finished during it could not record that: its row stays
        `doing` under a worker whose heartbeat is fresh, so the stalled-job sweep never takes
        it. A job seen orphaned twice in a row (not just fetched) goes back to the queue.
        """
        manager = self.app.job_manager
        suspects: set[int] = set()
        while True:
            await asyncio.sleep(ORPHAN_SWEEP)
            if worker.worker_id is None:
                continue
            running = {
                context.job.id
                for context in worker._running_jobs.values()
                if context.job.id is not None
            }
            try:
                doing = await manager.list_jobs_async(status="doing", worker_id=worker.worker_id)
                orphans = {job.id for job in doing if job.id is not None and job.id not in running}
                for job in doing:
                    if job.id in orphans & suspects:
                        await manager.retry_job(job)
                        log.warning("requeued an orphaned job", extra={"job_id": job.id})
                suspects = orphans - suspects
            except (psycopg.Error, procrastinate.exceptions.ConnectorException):
                continue

    def _give_up(self, reason: str) -> None:
        self.state = "failed"
        self.last_error = reason
        log.error("job worker failed for good: %s", reason)
        raise WorkerFailed(reason)
