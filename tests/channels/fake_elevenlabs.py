"""A local fake of the ElevenLabs API (real HTTP) for the SDK: records requests. Speech-to-Text
answers `transcript` (or the scripted failures in `stt_failures` first)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.local_server import LocalServer


class FakeElevenLabs(LocalServer):
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.transcript = "Hola"
        self.stt_failures: list[int] = []  # HTTP statuses answered first, one per request
        self.stt_refuses_oga = True  # like providers that reject the .oga name
        app = FastAPI()

        self.speech = b"ID3\x04fake-mp3-audio" * 64  # what text-to-speech answers

        @app.post("/v1/text-to-speech/{voice_id}")
        async def text_to_speech(voice_id: str, request: Request) -> Any:
            body = await request.json()
            self.requests.append(("text-to-speech", {"voice_id": voice_id, **body}))
            return Response(self.speech, media_type="audio/mpeg")

        @app.post("/v1/speech-to-text")
        async def speech_to_text(request: Request) -> Any:
            form = await request.form()
            upload = form.get("file")
            data = await upload.read() if hasattr(upload, "read") else b""
            name = str(getattr(upload, "filename", ""))
            self.requests.append(
                (
                    "speech-to-text",
                    {
                        "model_id": form.get("model_id"),
                        "language_code": form.get("language_code"),
                        "filename": name,
                        "bytes": data,
                        "api_key": request.headers.get("xi-api-key"),
                    },
                )
            )
            if self.stt_failures:
                status = self.stt_failures.pop(0)
                return JSONResponse({"detail": {"status": "scripted"}}, status_code=status)
            if self.stt_refuses_oga and name.endswith(".oga"):
                return JSONResponse({"detail": {"status": "invalid_file"}}, status_code=400)
            return {
                "language_code": form.get("language_code") or "es",
                "language_probability": 0.98,
                "text": self.transcript,
                "words": [],
            }

        @app.post("/v1/convai/twilio/outbound-call")
        async def outbound(request: Request) -> dict[str, Any]:
            self.requests.append(("outbound-call", await request.json()))
            return {
                "success": True,
                "message": "ok",
                "conversation_id": f"conv_{uuid.uuid4().hex[:8]}",
                "callSid": "CAfake",
            }

        @app.post("/v1/convai/batch-calling/submit")
        async def batch(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.requests.append(("batch", body))
            now = int(time.time())
            return {
                "id": "btcal_fake",
                "name": body["call_name"],
                "agent_id": body["agent_id"],
                "status": "pending",
                "created_at_unix": now,
                "scheduled_time_unix": now,
                "total_calls_dispatched": 0,
                "total_calls_scheduled": len(body["recipients"]),
                "total_calls_finished": 0,
                "last_updated_at_unix": now,
                "retry_count": 0,
                "phone_number_id": body.get("agent_phone_number_id"),
                "phone_provider": "twilio",
                "agent_name": "Demo",
            }

        self.conversations: dict[str, dict[str, Any]] = {}

        @app.get("/v1/convai/conversations")
        async def list_conversations(request: Request) -> dict[str, Any]:
            self.requests.append(("list", dict(request.query_params)))
            return {
                "conversations": [
                    {
                        "agent_id": c["agent_id"],
                        "conversation_id": cid,
                        "start_time_unix_secs": c["metadata"]["start_time_unix_secs"],
                        "call_duration_secs": c["metadata"]["call_duration_secs"],
                        "message_count": len(c["transcript"]),
                        "status": c["status"],
                        "call_successful": "success",
                    }
                    for cid, c in self.conversations.items()
                ],
                "has_more": False,
                "next_cursor": None,
            }

        @app.get("/v1/convai/conversations/{conversation_id}")
        async def get_conversation(conversation_id: str) -> dict[str, Any]:
            self.requests.append(("get", {"conversation_id": conversation_id}))
            return self.conversations[conversation_id]

        super().__init__(app)
