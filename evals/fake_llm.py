"""A local OpenAI-compatible server whose "brain" is the rules model, reading only the request.

`hilo eval run … --llm fake-openai` points Hilo's ChatOpenAI at it (`OPENAI_BASE_URL`), so an
eval goes through the LLM path end to end: the system prompt Hilo writes, the tool schemas,
the messages and tool results as JSON over HTTP, the structured output of the call analysis.
The brain sees what a real model would see and nothing else: the channel, the language and
the time zone are read from the system prompt, a tool result's tool from the assistant message
that asked for it, a call from the analysis prompt (its date, customer, transcript). If the
pass rate through here is close to the direct rules run, the prompt carries what the rules
model relies on; where it is lower, the prompt or the messages miss something.

The rules model's own weights (its intent examples over the sentence embeddings) are the
brain's, as a real model's are its own; nothing of a customer's state reaches it but by the
request.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

import prompts
from agent.analysis import analyze_with_rules
from agent.models import intent_index
from agent.rules import RulesChatModel
from evals.local_server import LocalServer
from memory import CallRecord, CallTurn
from memory.calls import Role
from prompts.moments import MONTHS

MODEL_NAME = "fake-openai-rules"
_CHANNELS = {"whatsapp": "whatsapp", "the phone": "voice", "teléfono": "voice", "chat": "console"}
_FIRST_LINE = re.compile(r"(?: on | por )(WhatsApp|the phone|teléfono|chat)\.\s*$")
_LANGUAGE = re.compile(r"^(?:Language: English|Idioma: español)\b", re.MULTILINE)
_ZONE = re.compile(r"\((UTC|[A-Za-z_]+(?:/[A-Za-z_+-]+)+)\)\.")
_CALL_DATE = re.compile(
    r"(?P<day>\d{1,2})(?: de)? (?P<month>[A-Za-záéíóú]+)(?: de)? (?P<year>\d{4}), "
    r"(?P<hour>\d{2}):(?P<minute>\d{2})|"
    r"(?P<month2>[A-Za-z]+) (?P<day2>\d{1,2}), (?P<year2>\d{4}), "
    r"(?P<hour2>\d{2}):(?P<minute2>\d{2})"
)


class PromptMissing(ValueError):
    """The request lacks what the brain needs (the finding this server exists to show)."""


def turn_settings(system: str) -> tuple[str, str, str]:
    """(channel, language, time zone) as the system prompt states them."""
    first = system.splitlines()[0] if system else ""
    channel = _FIRST_LINE.search(first)
    language = _LANGUAGE.search(system)
    zone = _ZONE.search(system)
    if channel is None or language is None or zone is None:
        raise PromptMissing("the system prompt does not state the channel, language or zone")
    code = "en" if language.group(0).startswith("Language") else "es"
    return _CHANNELS[channel.group(1).lower()], code, zone.group(1)


def attachments(system: str) -> tuple[str, ...]:
    """The kinds of what came with the message, as the prompt's attachment note names them
    (`prompts/replies_*.txt`, `attachment_note`), or none."""
    for language in ("es", "en"):
        before, _, after = prompts.catalogue("replies", language)["attachment_note"].partition(
            "{kinds}"
        )
        found = re.search(re.escape(before) + r"(.+?)" + re.escape(after[:12]), system)
        if found:
            return tuple(k.strip() for k in found.group(1).split(",") if k.strip())
    return ()


def lc_messages(messages: list[dict[str, Any]]) -> list[BaseMessage]:
    """The request's messages as LangChain messages; a tool result is named by the call that
    asked for it (OpenAI's tool messages carry only the call id)."""
    names: dict[str, str] = {}
    out: list[BaseMessage] = []
    for m in messages:
        role, content = m.get("role"), m.get("content") or ""
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role == "system":
            out.append(SystemMessage(content=content))
        elif role == "user":
            out.append(HumanMessage(content=content))
        elif role == "assistant":
            calls = []
            for c in m.get("tool_calls") or []:
                names[c["id"]] = c["function"]["name"]
                calls.append(
                    {
                        "name": c["function"]["name"],
                        "args": json.loads(c["function"].get("arguments") or "{}"),
                        "id": c["id"],
                        "type": "tool_call",
                    }
                )
            out.append(AIMessage(content=content, tool_calls=calls))
        elif role == "tool":
            call_id = m.get("tool_call_id", "")
            out.append(ToolMessage(content=content, tool_call_id=call_id, name=names.get(call_id)))
    return out


def _call_date(prompt: str, language: str, zone: ZoneInfo) -> datetime:
    first = prompt.splitlines()[0]
    match = _CALL_DATE.search(first)
    if match is None:
        raise PromptMissing("the analysis prompt has no call date")
    if match.group("day"):
        day, month, year = match.group("day"), match.group("month"), match.group("year")
        hour, minute = match.group("hour"), match.group("minute")
    else:
        day, month, year = match.group("day2"), match.group("month2"), match.group("year2")
        hour, minute = match.group("hour2"), match.group("minute2")
    months = [m.lower() for m in MONTHS[language]]
    return datetime(
        int(year), months.index(month.lower()) + 1, int(day), int(hour), int(minute), tzinfo=zone
    )


def _section(prompt: str, label: str) -> str:
    match = re.search(rf"^{label}: ?(.*)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else ""


def call_analysis(prompt: str) -> dict[str, Any]:
    """The rules' reading of the call the analysis prompt carries, as `CallAnalysis` JSON."""
    language = "en" if prompt.startswith("Analyse") else "es"
    zone_match = _ZONE.search(prompt.splitlines()[0])
    if zone_match is None:
        raise PromptMissing("the analysis prompt has no time zone")
    timezone = zone_match.group(1)
    started = _call_date(prompt, language, ZoneInfo(timezone))
    name = _section(prompt, "Customer" if language == "en" else "Cliente")
    platform_text = _section(
        prompt, "Platform analysis" if language == "en" else "Análisis de la plataforma"
    )
    platform = json.loads(platform_text or "{}")
    transcript = prompt.split("Transcript:\n" if language == "en" else "Transcripción:\n", 1)[-1]
    turns: list[CallTurn] = []
    for line in transcript.splitlines():
        role, _, said = line.partition(": ")
        if role == "customer" or role == "agent":
            turns.append(CallTurn(cast(Role, role), said, float(len(turns))))
        elif turns:  # a turn of several lines
            turns[-1].text += "\n" + line
    call = CallRecord(
        conversation_id="fake-openai",
        phone=None,
        turns=turns,
        started_at=started,
        customer_name=None if name in ("", "—") else name,
        language=language,
        summary=platform.get("transcript_summary"),
    )
    analysis, reading = analyze_with_rules(call, timezone)
    answer = analysis.model_dump(mode="json")
    answer["due_dates"] = [
        {
            "step": s.text,
            "due": s.due.replace(tzinfo=None).isoformat(timespec="minutes"),
            "kind": s.kind,
            "window": s.part,
            "by_customer": s.by_customer,
        }
        for s in reading.steps
        if s.due is not None
    ]
    return answer


class RulesBrain:
    """The rules model applied to an OpenAI chat completions request body."""

    def __init__(self, embeddings: Any = None) -> None:
        self.index = intent_index(embeddings)
        self._models: dict[str, RulesChatModel] = {}
        self.answered: Counter[str] = Counter()  # CallAnalysis / turn: what it was asked

    def model(self, timezone: str) -> RulesChatModel:
        if timezone not in self._models:
            self._models[timezone] = RulesChatModel(intent_index=self.index, timezone=timezone)
        return self._models[timezone]

    def respond(self, body: dict[str, Any]) -> dict[str, Any]:
        """The assistant message for `body`."""
        messages = body.get("messages") or []
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        if schema == "CallAnalysis":
            prompt = "\n".join(str(m.get("content") or "") for m in messages)
            answer = call_analysis(prompt)
            self.answered[schema] += 1
            return {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)}
        if schema is not None:
            raise PromptMissing(f"the rules brain has no structured output for {schema}")
        system = next((str(m["content"]) for m in messages if m.get("role") == "system"), "")
        channel, language, timezone = turn_settings(system)
        reply = self.model(timezone).respond(
            lc_messages(messages),
            channel=channel,
            language=language,
            attachments=attachments(system),
        )
        self.answered["turn"] += 1
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.get("id") or f"call_{uuid.uuid4().hex[:10]}",
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
                }
                for c in reply.tool_calls
            ]
        return message


def completion(body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    chars = sum(len(str(m.get("content") or "")) for m in body.get("messages") or [])
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", MODEL_NAME),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        # An estimate, as the rules model gives: ~4 characters a token.
        "usage": {"prompt_tokens": chars // 4, "completion_tokens": 0, "total_tokens": chars // 4},
    }


def brain_app(brain: RulesBrain) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        try:
            message = await asyncio.to_thread(brain.respond, body)
        except PromptMissing as exc:
            return _error(str(exc))
        return completion(body, message)

    return app


def _error(text: str) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"message": text, "type": "invalid_request_error"}}, 400)


class FakeOpenAIServer(LocalServer):
    """The brain's app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, brain: RulesBrain) -> None:
        super().__init__(brain_app(brain), log_level="error")
        self.brain = brain

    @property
    def base_url(self) -> str:
        return super().base_url + "/v1"


def fake_openai_settings(settings: Any, base_url: str) -> Any:
    """`settings` with ChatOpenAI pointed at the fake server (no real key, no real service)."""
    from pydantic import SecretStr

    return settings.model_copy(
        update={
            "llm": "openai",
            "llm_model": MODEL_NAME,
            "openai_api_key": SecretStr("sk-fake-openai"),
            "openai_base_url": base_url,
        }
    )
