"""`hilo demo`: the whole story offline, over real HTTP against a running Hilo.

A recorded ElevenLabs call is posted as a signed post-call webhook; the follow-up WhatsApp goes
out (console channel); the customer writes on WhatsApp (signed as Twilio signs) and the agent
recalls the call; a new inbound call starts with the WhatsApp context, and Hilo, as the voice
agent's Custom LLM, answers a spoken turn from what was written on WhatsApp; the customer asks
for a person and the thread is escalated. Then the one timeline is printed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

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


def register(app: typer.Typer) -> None:
    app.command("demo", epilog="Examples:  hilo demo  ·  hilo demo --keep-running --port 8010")(
        demo
    )


def demo(
    keep_running: bool = typer.Option(
        False,
        "--keep-running",
        help="Leave the server up afterwards and print a dashboard sign-in (Ctrl+C to stop).",
    ),
    port: int = typer.Option(0, help="Port (default: a free one)."),
) -> None:
    """Run the whole story offline and print it: a recorded call, the follow-up, WhatsApp with
    recall, a call that knows WhatsApp, an escalation answered by a person.

    Uses an embedded PostgreSQL in a temporary folder (thrown away afterwards), or the server of
    DATABASE_URL when it is set; the rules model; WhatsApp printed to the console."""
    asyncio.run(_run(keep_running, port))


def banner(settings: Any) -> str:
    """The demo's title line: which database it writes to (DATABASE_URL's when set)."""
    database = (
        "the PostgreSQL of DATABASE_URL"
        if settings.database_url is not None
        else "embedded PostgreSQL in a temporary folder"
    )
    return f"[bold]Hilo demo[/]  (offline: {database}, rules model, console WhatsApp)"


def _whatsapp_lines(recent: str, width: int = 110) -> list[str]:
    """The `recent_whatsapp` variable as the voice agent reads it, one message a line: the
    customer's in full (what the call now knows), the bot's shortened."""
    lines = []
    for entry in recent.split(" | "):
        role, _, text = entry.partition(": ")
        text = " ".join(text.split())
        if role != "customer" and len(text) > width:
            text = text[: width - 1] + "…"
        who = "Ana (WhatsApp)" if role == "customer" else "Hilo (WhatsApp)"
        lines.append(f"   {'»' if role == 'customer' else ' '} {who}: {text}")
    return lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post_call_body() -> dict[str, Any]:
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


async def _spoken_turn(http: Any, llm_secret: str, call_token: str) -> None:
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


async def _run(keep_running: bool = False, port: int = 0) -> None:
    import httpx
    import uvicorn
    from pydantic import SecretStr
    from twilio.request_validator import RequestValidator

    from channels.elevenlabs import sign_elevenlabs
    from config import Settings
    from memory import find_customer_by_phone, timeline
    from memory.actions import list_next_actions
    from memory.escalations import latest_escalation
    from memory.queue import unfinished_jobs
    from server.app import create_app
    from server.templating import zone_label

    data_dir = Path(tempfile.mkdtemp(prefix="hilo-demo-"))
    token, el_secret, tools_secret, llm_secret = (secrets.token_hex(16) for _ in range(4))
    port = port or _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        llm="rules",  # type: ignore[call-arg]
        twilio_auth_token=SecretStr(token),
        twilio_followup_content_sid="HXdemo00000000000000000000000000",
        elevenlabs_webhook_secret=SecretStr(el_secret),
        tools_secret=SecretStr(tools_secret),
        llm_secret=SecretStr(llm_secret),
        log_format="text",
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.05)
        console.rule(banner(settings))

        async def settle() -> None:
            services = app.state.services
            for _ in range(300):
                if await unfinished_jobs(services.memory) == 0:
                    return
                await asyncio.sleep(0.1)

        raw = json.dumps(_post_call_body()).encode()
        r = await http.post(
            "/webhooks/elevenlabs/post-call",
            content=raw,
            headers={
                "ElevenLabs-Signature": sign_elevenlabs(raw, el_secret),
                "Content-Type": "application/json",
            },
        )
        console.print(f"1. ElevenLabs post-call webhook (signed) → {r.status_code} {r.json()}")
        await settle()

        async def whatsapp(sid: str, text: str) -> None:
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
            url = base + "/webhooks/twilio/whatsapp"
            sig = RequestValidator(token).compute_signature(url, form)
            resp = await http.post(
                "/webhooks/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": sig}
            )
            console.print(f"   WhatsApp «{text}» (signed as Twilio) → {resp.status_code}")
            await settle()

        console.print("2. The customer answers on WhatsApp:")
        await whatsapp("SM" + "1" * 32, "Hola, ¿me recuerdas cuánto te dije que podíamos pagar?")
        await whatsapp("SM" + "2" * 32, "¿Me pueden llamar el viernes a las 10?")
        await whatsapp("SM" + "6" * 32, "Por cierto, el techo tiene unos 40 metros cuadrados.")
        r = await http.post(
            "/webhooks/elevenlabs/conversation-init",
            json={
                "caller_id": PHONE,
                "agent_id": "agent_demo",
                "called_number": "+14155550100",
                "call_sid": "CAdemo2",
            },
            headers={"X-Hilo-Secret": tools_secret},
        )
        variables = r.json()["dynamic_variables"]
        console.print(
            f"3. Ana calls again: call-start webhook → {r.status_code}; the voice agent starts "
            "knowing her WhatsApp (dynamic variable recent_whatsapp):"
        )
        for line in _whatsapp_lines(variables["recent_whatsapp"]):
            console.print(line, markup=False)
        await _spoken_turn(http, llm_secret, r.json()["custom_llm_extra_body"]["hilo_call"])
        console.print("4. Ana asks for a person (the AI hands over and then stays silent):")
        await whatsapp("SM" + "3" * 32, "Prefiero hablar con una persona, por favor")
        await whatsapp("SM" + "4" * 32, "¿Hola?")

        # An operator, through the operator API with a bearer token (the dashboard does the same).
        from memory.operators import create_operator, create_token
        from server.auth import hash_password, new_token, sha256

        services = app.state.services
        password = secrets.token_urlsafe(12)
        laura = await create_operator(
            services.memory, "laura@demo.hilo", hash_password(password), name="Laura"
        )
        api_token = new_token()
        await create_token(services.memory, laura.id, sha256(api_token), "demo")
        auth = {"Authorization": f"Bearer {api_token}"}
        queue = (await http.get("/api/escalations", headers=auth)).json()["escalations"]
        escalation_id = queue[0]["escalation_id"]
        console.print(
            f"5. Operator Laura sees the escalation in the queue ({queue[0]['reason']}), takes it, "
            "answers and hands back:"
        )
        await http.post(f"/api/escalations/{escalation_id}/take", headers=auth)
        human_text = (
            "Hola Ana, soy Laura. Te aprobamos un descuento del 10% y el técnico va el lunes."
        )
        r = await http.post(
            f"/api/escalations/{escalation_id}/reply",
            json={"text": human_text},
            headers={**auth, "Idempotency-Key": "demo-reply-1"},
        )
        console.print(f"   reply → {r.status_code} (sent once, stored as a human message)")
        await settle()
        r = await http.post(f"/api/escalations/{escalation_id}/resolve", headers=auth)
        console.print(f"   resolve → {r.json()['escalation']['status']}")
        console.print("6. Back with the AI, which knows what Laura said:")
        await whatsapp("SM" + "5" * 32, "¿Me recuerdas qué descuento me dijo Laura?")

        memory = app.state.services.memory
        customer = await find_customer_by_phone(memory, PHONE)
        assert customer is not None
        table = Table(
            title=f"One thread: {customer.name} {customer.phone} (times in {settings.timezone})",
            show_lines=False,
        )
        for column in ("when", "channel", "who", "text", "delivery"):
            table.add_column(column)
        for m in await timeline(memory, customer.id):
            table.add_row(
                m.created_at.astimezone(ZoneInfo(settings.timezone)).strftime("%H:%M:%S"),
                m.channel,
                m.role,
                m.text,
                m.delivery_status or "",
            )
        console.print(table)
        escalation = await latest_escalation(memory, customer.id)
        actions = sorted(
            await list_next_actions(memory, customer.id, open_only=False), key=lambda a: a.id
        )
        zone = ZoneInfo(settings.timezone)
        for a in actions:
            due = ""
            if a.due_at:
                local = a.due_at.astimezone(zone)
                due = f" (due {local:%Y-%m-%d %H:%M} {zone_label(settings.timezone, local)})"
            console.print(f"next action ({a.type}): {a.description}{due}", markup=False)
        console.print(
            f"escalation: {escalation.status} — {escalation.reason}"
            if escalation
            else "escalation: none",
            markup=False,
        )
        if keep_running:
            console.rule("[bold]Dashboard[/]")
            console.print(f"open {base}/login  —  laura@demo.hilo / {password}", markup=False)
            console.print("(Ctrl+C to stop; the demo database is thrown away)")
            await serving  # uvicorn stops on Ctrl+C
            return
    server.should_exit = True
    await serving
