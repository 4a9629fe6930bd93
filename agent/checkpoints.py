"""A spoken turn's checkpoint read, started early (`prefetch_checkpoint`).

LangGraph reads the thread's latest checkpoint when a run starts. On a live call that read
would wait for the call's turns to be stored; `prefetch_checkpoint` starts it beside them
and the run takes it (`prefetching` wraps the saver's `aget_tuple`). It is only correct
while nothing writes the thread in between: the caller holds the customer's voice lock
(`agent.voice`) from the prefetch to the run, and the run takes it only in the task (context)
that started it, once, for the root graph's latest checkpoint of the same thread.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

_prefetched: ContextVar[tuple[str, asyncio.Future[Any]] | None] = ContextVar(
    "hilo_prefetched_checkpoint", default=None
)


def prefetching(saver: Any) -> Any:
    """`saver`, its `aget_tuple` taking a read `prefetch_checkpoint` started (else reading)."""
    if saver is None or getattr(saver, "_hilo_prefetching", False):
        return saver
    read = saver.aget_tuple

    async def aget_tuple(config: Any) -> Any:
        waiting = _prefetched.get()
        conf = (config or {}).get("configurable") or {}
        if (
            waiting is not None
            and not conf.get("checkpoint_id")
            and not conf.get("checkpoint_ns")
            and str(conf.get("thread_id")) == waiting[0]
        ):
            _prefetched.set(None)
            return await waiting[1]
        return await read(config)

    saver.aget_tuple = aget_tuple
    saver._hilo_prefetching = True
    saver._hilo_read = read
    return saver


def prefetch_checkpoint(graph: Any, thread_id: str) -> asyncio.Future[Any] | None:
    """Start reading `thread_id`'s latest checkpoint; the next run in this context takes it.
    None when the graph has no prefetching saver (then the run reads as usual)."""
    saver = getattr(graph, "checkpointer", None)
    read = getattr(saver, "_hilo_read", None)
    if read is None:
        return None
    future = asyncio.ensure_future(read({"configurable": {"thread_id": thread_id}}))
    _prefetched.set((thread_id, future))
    return future


def drop_prefetched(future: asyncio.Future[Any] | None) -> None:
    """The run did not take the read (it stopped before): forget it (and cancel it)."""
    waiting = _prefetched.get()
    if waiting is not None and waiting[1] is future:
        _prefetched.set(None)
    if future is not None and not future.done():
        future.cancel()
