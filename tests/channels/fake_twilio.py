"""A local fake of Twilio's REST Messages API (real HTTP): records what the SDK posts and can
fail on demand (a queue of scripted error answers served before the normal 201s)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.failures: list[tuple[int, int]] = []  # (http status, twilio code) served first
        self.attempts = 0
        self.delay = 0.0  # seconds before answering (a slow Twilio)
        app = FastAPI()

        @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
        async def create(account_sid: str, request: Request) -> Any:
            form = {k: str(v) for k, v in (await request.form()).items()}
            self.attempts += 1
            if self.failures:
                status, code = self.failures.pop(0)
                return JSONResponse(
                    {
                        "code": code,
                        "message": f"scripted failure {code}",
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status,
                    },
                    status_code=status,
                )
            if self.delay:
                await asyncio.sleep(self.delay)
                if await request.is_disconnected():
                    return JSONResponse({}, status_code=499)  # the caller died: never completed
            self.messages.append(form)
            sid = "SM" + uuid.uuid4().hex
            return JSONResponse(
                {
                    "sid": sid,
                    "account_sid": account_sid,
                    "status": "queued",
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "num_segments": "1",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "date_created": "Wed, 25 Nov 2026 10:00:00 +0000",
                    "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
                },
                status_code=201,
            )

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTwilio:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
