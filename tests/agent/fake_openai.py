"""A local OpenAI-compatible server (real HTTP) that returns scripted chat completions and
records every request, so ChatOpenAI is exercised end to end without the real service.

With `stream: true` it answers as OpenAI streams (Server-Sent Events of `chat.completion.chunk`:
the role, the content a word at a time, tool calls as argument deltas, the finish reason, usage
when `stream_options.include_usage`, `[DONE]`). `first_token_delay` seconds pass before the
first chunk (or the whole answer): a slow model to start.

Audio transcriptions answer `transcript`, and refuse a file named `.oga` as OpenAI does."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from tests.local_server import LocalServer

Responder = Callable[[dict[str, Any]], dict[str, Any]]


def tool_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """An assistant message asking for one tool."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ],
    }


def text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


USAGE = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}


def _chunks(body: dict[str, Any], message: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": w}) for w in re.findall(r"\S+\s*", message.get("content") or "")]
    for i, call in enumerate(message.get("tool_calls") or []):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        out.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        for part in (arguments[:half], arguments[half:]):
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]}))
    out.append(chunk({}, "tool_calls" if message.get("tool_calls") else "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        out.append({**base, "choices": [], "usage": USAGE})
    return out


class FakeOpenAI(LocalServer):
    def __init__(self, responder: Responder, *, first_token_delay: float = 0.0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []  # each chat request's Authorization header
        self.responder = responder
        self.first_token_delay = first_token_delay
        self.transcript = "Hola"
        self.transcriptions: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/audio/transcriptions")
        async def transcriptions(request: Request) -> Any:
            form = await request.form()
            upload = form.get("file")
            name = str(getattr(upload, "filename", ""))
            data = await upload.read() if hasattr(upload, "read") else b""
            self.transcriptions.append(
                {"model": form.get("model"), "language": form.get("language"), "filename": name,
                 "bytes": data}
            )  # fmt: skip
            if name.rsplit(".", 1)[-1] not in ("ogg", "mp3", "m4a", "wav", "webm", "mp4"):
                return JSONResponse({"error": {"message": "Invalid file format."}}, 400)
            return {"text": self.transcript}

        @app.post("/v1/chat/completions", response_model=None)
        async def completions(request: Request) -> dict[str, Any] | StreamingResponse:
            body = await request.json()
            self.requests.append(body)
            self.authorizations.append(request.headers.get("authorization", ""))
            message = self.responder(body)
            if body.get("stream"):

                async def events() -> AsyncIterator[bytes]:
                    if self.first_token_delay:
                        await asyncio.sleep(self.first_token_delay)
                    for item in _chunks(body, message):
                        yield b"data: " + json.dumps(item).encode() + b"\n\n"
                    yield b"data: [DONE]\n\n"

                return StreamingResponse(events(), media_type="text/event-stream")
            if self.first_token_delay:
                await asyncio.sleep(self.first_token_delay)
            return {
                "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": USAGE,
            }

        super().__init__(app)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"
