"""A local fake of Twilio's REST Messages API (real HTTP): records what the SDK posts and can
fail on demand (a queue of scripted error answers served before the normal 201s), answer
slowly, accept a message and then hang (the caller never learns it was sent), or accept it
late, after the caller's timeout. Lists the messages it accepted, newest first, like
`GET …/Messages.json`. Serves inbound media (`media[media_sid] = (bytes, content type)`) at
Twilio's media URL only with the account's basic-auth credentials (`credentials`), through a
redirect to its media store as Twilio does; `media_failures` are statuses served first."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.local_server import LocalServer


class FakeTwilio(LocalServer):
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.resources: list[dict[str, Any]] = []
        self.failures: list[tuple[int, int]] = []  # (http status, twilio code) served first
        self.attempts = 0
        self.lists = 0
        self.delay = 0.0  # seconds before answering (a slow Twilio), message not yet accepted
        self.delays: list[float] = []  # one per request, served first: only those are slow
        self.hang_after_accept = 0.0  # seconds to hang after accepting (the answer is lost)
        self.accept_after = 0.0  # seconds before accepting, caller still waiting or not
        self.credentials: tuple[str, str] | None = None  # (account sid, auth token)
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_failures: list[int] = []
        self.media_requests: list[dict[str, Any]] = []
        self.typing: list[dict[str, str]] = []  # typing indicator requests received
        self.typing_failures: list[int] = []
        app = FastAPI()

        @app.post("/v2/Indicators/Typing.json")
        async def typing(request: Request) -> Any:
            self.typing.append({k: str(v) for k, v in (await request.form()).items()})
            if self.typing_failures:
                status = self.typing_failures.pop(0)
                return JSONResponse({"code": 20500, "status": status}, status_code=status)
            return {"success": True}

        @app.get("/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_sid}")
        async def media(
            account_sid: str, message_sid: str, media_sid: str, request: Request
        ) -> Any:
            given = request.headers.get("authorization", "")
            expected = (
                "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
                if self.credentials
                else None
            )
            self.media_requests.append({"media_sid": media_sid, "authorized": given == expected})
            if given != expected:
                return JSONResponse({"code": 20003, "status": 401}, status_code=401)
            if self.media_failures:
                return JSONResponse({"status": 500}, status_code=self.media_failures.pop(0))
            if media_sid not in self.media:
                return JSONResponse({"code": 20404, "status": 404}, status_code=404)
            return RedirectResponse(f"/media-store/{media_sid}", status_code=307)

        @app.get("/media-store/{media_sid}")
        async def media_store(media_sid: str, request: Request) -> Any:
            data, content_type = self.media[media_sid]
            return Response(data, media_type=content_type)

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
            if self.accept_after:
                # A slow Twilio that still takes the message after the caller stopped waiting.
                await asyncio.sleep(self.accept_after)
                return JSONResponse(self._accept(account_sid, form), status_code=201)
            if self.delays or self.delay:
                await asyncio.sleep(self.delays.pop(0) if self.delays else self.delay)
                if await request.is_disconnected():
                    return JSONResponse({}, status_code=499)  # the caller died: never completed
            resource = self._accept(account_sid, form)
            if self.hang_after_accept:
                await asyncio.sleep(self.hang_after_accept)
            return JSONResponse(resource, status_code=201)

        @app.get("/2010-04-01/Accounts/{account_sid}/Messages.json")
        async def list_messages(account_sid: str, request: Request) -> Any:
            self.lists += 1
            to, from_ = request.query_params.get("To"), request.query_params.get("From")
            found = [
                r
                for r in reversed(self.resources)
                if (to is None or r["to"] == to) and (from_ is None or r["from"] == from_)
            ]
            size = int(request.query_params.get("PageSize", "50"))
            uri = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
            return {
                "messages": found[:size],
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": len(found[:size]),
                "uri": uri,
            }

        super().__init__(app)

    def _accept(self, account_sid: str, form: dict[str, str]) -> dict[str, Any]:
        self.messages.append(form)
        sid = "SM" + uuid.uuid4().hex
        resource = {
            "sid": sid,
            "account_sid": account_sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": format_datetime(datetime.now(UTC), usegmt=True),
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }
        self.resources.append(resource)
        return resource
