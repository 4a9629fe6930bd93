"""A local OpenAI-compatible server (real HTTP) that returns scripted chat completions and
records every request, so ChatOpenAI is exercised end to end without the real service. Audio
transcriptions answer `transcript`, and refuse a file named `.oga` as OpenAI does."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


class FakeOpenAI(LocalServer):
    def __init__(self, responder: Responder) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responder = responder
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

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.requests.append(body)
            message = self.responder(body)
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
                "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
            }

        super().__init__(app)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"
