"""`hilo demo`: the whole story offline, over real HTTP against a running Hilo.

A recorded ElevenLabs call is posted as a signed post-call webhook; the follow-up WhatsApp goes
out (console channel); the customer writes on WhatsApp (signed as Twilio signs) and the agent
recalls the call; a new inbound call starts with the WhatsApp context, and Hilo, as the voice
agent's Custom LLM, answers a spoken turn from what was written on WhatsApp; the customer asks
for a person and the thread is escalated. Then the one timeline is printed.

This module runs the story; `demo_requests` sends what ElevenLabs and Twilio would send, and
`demo_report` prints what Hilo stored.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

console = Console()


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
    """Run the whole story offline and print it, from a recorded call to a person's answer.

    The story: a recorded call, its WhatsApp follow-up, WhatsApp answered with recall, a call
    that knows WhatsApp, an escalation answered by a person.

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _run(keep_running: bool = False, port: int = 0) -> None:
    import httpx
    import uvicorn
    from pydantic import SecretStr

    from config import Settings
    from memory.queue import unfinished_jobs
    from server.app import create_app
    from server.commands import demo_requests as send
    from server.commands.demo_report import print_thread, whatsapp_lines

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

        async def whatsapp(sid: str, text: str) -> None:
            await send.whatsapp(http, token, sid, text)
            await settle()

        await send.post_call(http, el_secret)
        await settle()
        console.print("2. The customer answers on WhatsApp:")
        await whatsapp("SM" + "1" * 32, "Hola, ¿me recuerdas cuánto te dije que podíamos pagar?")
        await whatsapp("SM" + "2" * 32, "¿Me pueden llamar el viernes a las 10?")
        await whatsapp("SM" + "6" * 32, "Por cierto, el techo tiene unos 40 metros cuadrados.")
        r = await send.call_start(http, tools_secret)
        variables = r.json()["dynamic_variables"]
        console.print(
            f"3. Ana calls again: call-start webhook → {r.status_code}; the voice agent starts "
            "knowing her WhatsApp (dynamic variable recent_whatsapp):"
        )
        for line in whatsapp_lines(variables["recent_whatsapp"]):
            console.print(line, markup=False)
        await send.spoken_turn(http, llm_secret, r.json()["custom_llm_extra_body"]["hilo_call"])
        console.print("4. Ana asks for a person (the AI hands over and then stays silent):")
        await whatsapp("SM" + "3" * 32, "Prefiero hablar con una persona, por favor")
        await whatsapp("SM" + "4" * 32, "¿Hola?")
        password = await _operator_answers(app, http, settle)
        console.print("6. Back with the AI, which knows what Laura said:")
        await whatsapp("SM" + "5" * 32, "¿Me recuerdas qué descuento me dijo Laura?")
        await print_thread(app.state.services.memory, send.PHONE, settings.timezone)
        if keep_running:
            console.rule("[bold]Dashboard[/]")
            console.print(f"open {base}/login  —  laura@demo.hilo / {password}", markup=False)
            console.print("(Ctrl+C to stop; the demo database is thrown away)")
            await serving  # uvicorn stops on Ctrl+C
            return
    server.should_exit = True
    await serving


async def _operator_answers(
    app: FastAPI, http: httpx.AsyncClient, settle: Callable[[], Awaitable[None]]
) -> str:
    """Operator Laura, through the operator API with a bearer token (the dashboard does the
    same): takes the escalation, answers and hands back. Returns her dashboard password."""
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
    human_text = "Hola Ana, soy Laura. Te aprobamos un descuento del 10% y el técnico va el lunes."
    r = await http.post(
        f"/api/escalations/{escalation_id}/reply",
        json={"text": human_text},
        headers={**auth, "Idempotency-Key": "demo-reply-1"},
    )
    console.print(f"   reply → {r.status_code} (sent once, stored as a human message)")
    await settle()
    r = await http.post(f"/api/escalations/{escalation_id}/resolve", headers=auth)
    console.print(f"   resolve → {r.json()['escalation']['status']}")
    return password
