"""A cap on request bodies that FastAPI parses itself (the operator API's JSON, the dashboard's
forms), before any route or dependency runs.

FastAPI reads and parses a JSON or form body before the route's dependencies (authentication
among them) run, so without a cap an unauthenticated client could make the process parse
megabytes. Routes that read their own bodies with `server.bodies.read_body` (the webhooks, the
live tools) keep their own, larger limits and are not capped here.

A pure ASGI middleware: a declared `Content-Length` over the limit is 413 at once; a streamed
body is counted as it arrives, and once it passes the limit the app sees the client disconnect
while the client gets 413 (whatever the app tries to send after that is dropped).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_BODY_LIMIT = 1 << 20  # 1 MiB: the largest API write is a 4,096-character reply
OWN_LIMIT_PREFIXES = ("/webhooks/", "/elevenlabs/")


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = API_BODY_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OWN_LIMIT_PREFIXES):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit and not refused:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"the body is larger than {self.limit} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
