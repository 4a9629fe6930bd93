"""OpenAI Chat Completions on the wire, as the Custom LLM endpoint speaks it.

`read_chat_request(body)` checks a request body and reads what Hilo uses of it: the call's
turns (system and tool messages left out), the platform's tools, `stream`, whether usage is
asked for, and `elevenlabs_extra_body`. Answers are `chat.completion` objects, or for
`stream: true` Server-Sent Events of `chat.completion.chunk` objects ending in `data: [DONE]`
(with a usage chunk first when `stream_options.include_usage` is set), as OpenAI streams them.
Errors use OpenAI's error shape (`{"error": {"message", "type", "code"}}`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse

from agent.voice import Ended, Handed, Said, SpokenTurn, VoiceEvent

MAX_MESSAGES = 2000
MAX_TOOLS = 64
MAX_TOOL_CHARS = 16_000  # one tool's schema as JSON
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class BadChatRequest(ValueError):
    """The body is not a Chat Completions request Hilo can answer (422)."""


@dataclass
class ChatRequest:
    dialogue: list[SpokenTurn]
    tools: list[dict[str, Any]] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    model: str = "hilo"
    extra_body: dict[str, Any] = field(default_factory=dict)


def _content(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts: the text ones are read
        return "".join(
            str(p.get("text") or "")
            for p in value
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        )
    raise BadChatRequest(f"{where}.content must be a string or a list of content parts")


def _tool(value: Any, where: str) -> dict[str, Any]:
    function = value.get("function") if isinstance(value, dict) else None
    if not isinstance(function, dict) or value.get("type", "function") != "function":
        raise BadChatRequest(f"{where} must be {{'type': 'function', 'function': {{...}}}}")
    name = function.get("name")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise BadChatRequest(f"{where}.function.name must match {TOOL_NAME.pattern}")
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, dict):
        raise BadChatRequest(f"{where}.function.parameters must be a JSON schema object")
    tool = {
        "type": "function",
        "function": {
            "name": name,
            "description": str(function.get("description") or "")[:2000],
            "parameters": parameters,
        },
    }
    if len(json.dumps(tool)) > MAX_TOOL_CHARS:
        raise BadChatRequest(f"{where} is larger than {MAX_TOOL_CHARS} characters")
    return tool


def read_chat_request(body: dict[str, Any]) -> ChatRequest:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadChatRequest("messages must be a non-empty list")
    if len(messages) > MAX_MESSAGES:
        raise BadChatRequest(f"messages holds at most {MAX_MESSAGES} items")
    dialogue: list[SpokenTurn] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise BadChatRequest(f"{where}.role must be one of {sorted(ROLES)}")
        text = _content(message.get("content"), where).strip()
        if message["role"] == "user" and text:
            dialogue.append(SpokenTurn("customer", text))
        elif message["role"] == "assistant" and text:
            dialogue.append(SpokenTurn("agent", text))
    tools = body.get("tools") or []
    if not isinstance(tools, list) or len(tools) > MAX_TOOLS:
        raise BadChatRequest(f"tools must be a list of at most {MAX_TOOLS} functions")
    options = body.get("stream_options")
    extra = body.get("elevenlabs_extra_body")
    model = body.get("model")
    return ChatRequest(
        dialogue=dialogue,
        tools=[_tool(t, f"tools[{i}]") for i, t in enumerate(tools)],
        stream=body.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        model=model[:100] if isinstance(model, str) and model else "hilo",
        extra_body=extra if isinstance(extra, dict) else {},
    )


def openai_error(status: int, message: str, kind: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": code, "param": None}},
        status_code=status,
    )


def _tool_calls(handed: Handed) -> list[dict[str, Any]]:
    return [
        {
            "index": i,
            "id": c["id"],
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["args"], ensure_ascii=False)},
        }
        for i, c in enumerate(handed.calls)
    ]


def _usage(ended: Ended) -> dict[str, int]:
    return {
        "prompt_tokens": ended.prompt_tokens,
        "completion_tokens": ended.completion_tokens,
        "total_tokens": ended.prompt_tokens + ended.completion_tokens,
    }


class Completion:
    """One answer's identity (id, time, model) and its pieces in OpenAI's shapes."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = model

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"

    async def stream(
        self, events: AsyncIterator[VoiceEvent], *, include_usage: bool
    ) -> AsyncIterator[bytes]:
        # One write per event: the role chunk leaves with the first words, and the finish,
        # usage and [DONE] together (each write is a send on the socket, ~0.1 ms of CPU).
        head = self.chunk({"role": "assistant", "content": ""})
        finish = "stop"
        async for event in events:
            if isinstance(event, Said):
                out = self.chunk({"content": event.text})
            elif isinstance(event, Handed):
                finish = "tool_calls"
                out = self.chunk({"tool_calls": _tool_calls(event)})
            else:
                out = self.chunk({}, finish)
                if include_usage:
                    usage = json.dumps(
                        {
                            "id": self.id,
                            "object": "chat.completion.chunk",
                            "created": self.created,
                            "model": self.model,
                            "choices": [],
                            "usage": _usage(event),
                        }
                    )
                    out += b"data: " + usage.encode() + b"\n\n"
                out += b"data: [DONE]\n\n"
                # (the loop goes on to the events' end: the answer is stored after `Ended`)
            yield head + out
            head = b""
        if head:
            yield head

    async def whole(self, events: AsyncIterator[VoiceEvent]) -> dict[str, Any]:
        text: list[str] = []
        handed: Handed | None = None
        ended = Ended()
        async for event in events:
            if isinstance(event, Said):
                text.append(event.text)
            elif isinstance(event, Handed):
                handed = event
            elif isinstance(event, Ended):
                ended = event
        message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
        if handed is not None:
            message["tool_calls"] = [
                {k: v for k, v in c.items() if k != "index"} for c in _tool_calls(handed)
            ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if handed else "stop",
                }
            ],
            "usage": _usage(ended),
        }
