"""The requests `hilo demo` sends as the outside services would: ElevenLabs' signed post-call
webhook of a recorded call, Twilio's signed WhatsApp webhook, ElevenLabs' call-start webhook and
one Custom LLM turn of a call. Each prints one line of the story."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from rich.console import Console
from twilio.request_validator import RequestValidator

from channels.elevenlabs import sign_elevenlabs

console = Console()
PHONE = "+573001112233"
CALL = [
    ("agent", "Hola Ana, te llamo de Sol Andino por la cotización de paneles solares."),
    ("user", "Hola, sí. Quiero paneles para mi casa en Chía, el techo es de teja."),
    ("agent", "¿Cuánto podrían pagar al mes?"),
    ("user", "Unos 500 mil pesos como máximo."),
    ("agent", "Perfecto. Te envío la cotización el jueves por WhatsApp."),
    ("user", "¿La instalación incluye el inversor?"),
    ("agent", "Lo verifico con el equipo técnico y te confirmo."),
]


async def post_call(http: httpx.AsyncClient, secret: str) -> None:
    """The recorded call, as ElevenLabs posts it when the call ends (signed)."""
    raw = json.dumps(post_call_body()).encode()
    r = await http.post(
        "/webhooks/elevenlabs/post-call",
        content=raw,
        headers={
            "ElevenLabs-Signature": sign_elevenlabs(raw, secret),
            "Content-Type": "application/json",
        },
    )
    console.print(f"1. ElevenLabs post-call webhook (signed) → {r.status_code} {r.json()}")


async def whatsapp(http: httpx.AsyncClient, auth_token: str, sid: str, text: str) -> None:
    """A message of Ana's on WhatsApp, as Twilio posts it (signed with the auth token)."""
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{PHONE}",
        "To": "whatsapp:+14155238886",
        "Body": text,
        "NumMedia": "0",
        "ProfileName": "Ana",
        "WaId": PHONE.lstrip("+"),
    }
    path = "/webhooks/twilio/whatsapp"
    sig = RequestValidator(auth_token).compute_signature(str(http.base_url.join(path)), form)
    resp = await http.post(path, data=form, headers={"X-Twilio-Signature": sig})
    console.print(f"   WhatsApp «{text}» (signed as Twilio) → {resp.status_code}")


async def call_start(http: httpx.AsyncClient, tools_secret: str) -> httpx.Response:
    """ElevenLabs' conversation-init webhook when Ana calls in: her memory for the voice agent."""
    return await http.post(
        "/webhooks/elevenlabs/conversation-init",
        json={
            "caller_id": PHONE,
            "agent_id": "agent_demo",
            "called_number": "+14155550100",
            "call_sid": "CAdemo2",
        },
        headers={"X-Hilo-Secret": tools_secret},
    )


def post_call_body() -> dict[str, Any]:
    now = int(time.time())
    return {
        "type": "post_call_transcription",
        "event_timestamp": now,
        "data": {
            "agent_id": "agent_demo",
            "conversation_id": "conv_demo_1",
            "status": "done",
            "transcript": [
                {
                    "role": r,
                    "message": m,
                    "time_in_call_secs": i * 6,
                    "tool_calls": [],
                    "tool_results": [],
                    "feedback": None,
                    "conversation_turn_metrics": None,
                }
                for i, (r, m) in enumerate(CALL)
            ],
            "metadata": {
                "start_time_unix_secs": now - 120,
                "call_duration_secs": 60,
                "main_language": "es",
                "phone_call": {
                    "type": "twilio",
                    "direction": "outbound",
                    "phone_number_id": "pn_demo",
                    "agent_number": "+14155550100",
                    "external_number": PHONE,
                    "call_sid": "CAdemo",
                    "stream_sid": "MZdemo",
                },
            },
            "analysis": {
                "call_successful": "success",
                "transcript_summary": "Ana quiere paneles solares para su casa en Chía "
                "(techo de teja); presupuesto de 500 mil pesos al mes; pidió confirmar si "
                "incluye inversor.",
            },
            "conversation_initiation_client_data": {"dynamic_variables": {"customer_name": "Ana"}},
        },
    }


SPOKEN = "¿Cuántos metros de techo te dije que tengo?"


async def spoken_turn(http: httpx.AsyncClient, llm_secret: str, call_token: str) -> None:
    """One turn of the call with Hilo as the agent's Custom LLM: ElevenLabs' request (the call
    so far, the `hilo_call` token the call start gave it) and the words streamed back."""
    body = {
        "model": "hilo",
        "stream": True,
        "messages": [
            {"role": "system", "content": "voice agent"},
            {"role": "assistant", "content": "Hola Ana, ¿en qué te puedo ayudar?"},
            {"role": "user", "content": SPOKEN},
        ],
        "elevenlabs_extra_body": {"hilo_call": call_token},
    }
    words: list[str] = []
    async with http.stream(
        "POST",
        "/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {llm_secret}"},
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                choices = json.loads(line[len("data: ") :])["choices"]
                words += [c["delta"].get("content") or "" for c in choices]
    console.print(
        f"   On the call (Hilo as the Custom LLM, streamed) Ana says «{SPOKEN}»; Hilo answers "
        f"«{''.join(words).strip()}»",
        markup=False,
    )
