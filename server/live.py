"""Live events for the dashboard: PostgreSQL NOTIFY → server-sent events.

Triggers (migration 0005) announce every new message and escalation change on the
`hilo_events` channel, whichever process wrote it (`memory.notifications`). Each web process
keeps one listening connection (opened on the first subscriber, re-opened after a failure) and
fans the events out to its subscribers' queues; a slow browser loses events rather than slowing
the others (the page re-reads its data on each event, so a lost one costs nothing but a moment).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from memory.notifications import listening

log = logging.getLogger(__name__)
QUEUE_SIZE = 100


class LiveEvents:
    def __init__(self, url: str) -> None:
        self.url = url
        self.subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                async with listening(self.url) as payloads:
                    self._ready.set()
                    delay = 0.5
                    async for payload in payloads:
                        self._publish(payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: keep trying, quietly
                self._ready.clear()
                log.warning("live events listener lost", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _publish(self, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            return
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="hilo-live-events")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        await self.start()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.subscribers.add(queue)
        try:
            yield queue
        finally:
            self.subscribers.discard(queue)
