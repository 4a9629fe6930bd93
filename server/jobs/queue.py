"""Re-export: queueing a job is SQL, so it lives in `memory.queue` (the outbox queues sends)."""

from memory.queue import DEFAULT_QUEUE, enqueue, queued_for

__all__ = ["DEFAULT_QUEUE", "enqueue", "queued_for"]
