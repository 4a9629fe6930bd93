"""A FastAPI app served by uvicorn on a free loopback port in a thread: the eval's fake OpenAI
model (`evals.fake_llm`) and the tests' local fakes of Twilio, ElevenLabs and OpenAI (real HTTP
for the real SDK clients)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Self

import uvicorn
from fastapi import FastAPI


class _PromptServer(uvicorn.Server):
    """uvicorn's server, checking `should_exit` every 20 ms instead of every 100 ms, and
    shutting down as soon as its connections are closed rather than after uvicorn's fixed
    0.1 s pause and 0.1 s polls.

    Every test that fakes a service stops one of these: its stop then takes ~0.03 s, not ~0.15 s.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's `Server.shutdown` (0.55), polling every 5 ms: stop accepting, ask every
        connection to close, wait (at most `timeout_graceful_shutdown`, else 5 s) for them and
        for the running requests, then the app's lifespan shutdown."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 5.0)
        # uvicorn's server state has no event to wait on: polled, as uvicorn itself does.
        while (self.server_state.connections or self.server_state.tasks) and (  # noqa: ASYNC110
            loop.time() < deadline
        ):
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel(msg="the fake stopped")
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.02)
            should_exit = await self.on_tick(counter)  # the Date header: every 10th tick


class LocalServer:
    def __init__(self, app: FastAPI, *, log_level: str = "warning") -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = _PromptServer(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=log_level)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
