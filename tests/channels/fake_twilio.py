"""A local fake of Twilio's REST Messages API (real HTTP): records what the SDK posts and can
fail on demand (a queue of scripted error answers served before the normal 201s)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.local_server import LocalServer


class FakeTwilio(LocalServer):
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

        super().__init__(app)
