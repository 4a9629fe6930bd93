"""Retry policies of Hilo's jobs, and the one rule they share: a job interrupted by a worker
shutting down is run again, never lost.

procrastinate cancels the jobs still running when a worker's graceful shutdown times out and
then asks the task's retry strategy; a plain strategy limited to some exceptions would let the
cancelled job end as `aborted`, and a reply or a send would be silently dropped.
"""

from __future__ import annotations

import asyncio

import procrastinate
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision

INTERRUPTED = (asyncio.CancelledError, JobAborted)


class ShutdownSafeRetry(procrastinate.RetryStrategy):
    """A `RetryStrategy` that also puts a job interrupted by a shutdown back in the queue."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, INTERRUPTED):
            return RetryDecision(retry_in={"seconds": 1})
        return super().get_retry_decision(exception=exception, job=job)


def is_last_attempt(strategy: procrastinate.RetryStrategy, job: Job, error: Exception) -> bool:
    """True when this failure will not be retried (the task records the outcome itself)."""
    return strategy.get_retry_decision(exception=error, job=job) is None
