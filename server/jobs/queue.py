"""Enqueue a job inside the caller's transaction: re-exported from `memory.queue`, which owns
the job queue's SQL."""

from memory.queue import DEFAULT_QUEUE, enqueue, queued_for

__all__ = ["DEFAULT_QUEUE", "enqueue", "queued_for"]
