"""`hilo chat PHONE`: talk to the agent as that WhatsApp customer, in the terminal.

Each line goes through `run_turn` on the customer's one thread (the same checkpointed thread
the WhatsApp worker uses); every message to the customer leaves through the outbox with the
console delivery: stored as a WhatsApp message, delivered with status `console`, and printed.
Offline it runs on the rules model; with `OPENAI_API_KEY` (and `OPENAI_BASE_URL`) set, on that
endpoint.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

console = Console()


def register(app: typer.Typer) -> None:
    app.command(
        "chat",
        epilog="Examples:  hilo chat +573001112233  ·  "
        'hilo chat 300 111 2233 -m "¿Me recuerdas el precio?" -v',
    )(chat)


def _echo(message: Any) -> None:
    """What the agent sends with `send_whatsapp` is printed (the reply is printed as `hilo>`)."""
    if "in_reply_to" not in message.meta:
        console.print(f"[magenta]whatsapp>[/] {escape(message.text)}")


def chat(
    phone: str = typer.Argument(..., help="The customer's phone number (any common form)."),
    message: str | None = typer.Option(None, "--message", "-m", help="Send one message and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tool calls and recall."),
) -> None:
    """Chat with the agent as the WhatsApp customer PHONE (offline with the rules model)."""
    from config import Settings
    from server.logging_setup import configure_logging

    settings = Settings()
    configure_logging("text", logging.WARNING)
    asyncio.run(_session(settings, phone, message, verbose))


async def _session(settings: Any, phone: str, message: str | None, verbose: bool) -> None:
    from agent import build_agent, run_turn
    from memory import get_or_create_customer, open_memory
    from tools.outbox import Console, Outbox

    memory = await open_memory(settings)
    try:
        agent = await build_agent(
            settings, memory, sender=Outbox(memory, Console(settings, echo=_echo))
        )
        customer = await get_or_create_customer(memory, phone)
        if verbose:
            console.print(f"[dim]model: {agent.model._llm_type}; thread {customer.id}[/]")
        lines = [message] if message is not None else None
        while True:
            if lines is not None:
                if not lines:
                    return
                text = lines.pop(0)
            else:
                try:
                    text = console.input("[bold cyan]tú>[/] ")
                except (EOFError, KeyboardInterrupt):
                    return
                if text.strip() in ("/exit", "/quit"):
                    return
            result = await run_turn(agent, customer.id, "whatsapp", text)
            if verbose:
                _explain(result)
            if result.reply_message_id is not None and result.reply:
                console.print(f"[bold green]hilo>[/] {escape(result.reply)}")
            else:
                console.print(f"[yellow](no AI reply: {result.skipped})[/]")
    finally:
        await memory.close()


def _explain(result: Any) -> None:
    for call in result.tool_calls:
        args = json.dumps(call["args"], ensure_ascii=False)
        outcome = json.dumps(call["result"], ensure_ascii=False, default=str)
        console.print(f"[dim]→ {call['name']}({escape(args)}) = {escape(outcome[:160])}[/]")
    for hit in result.recalled:
        console.print(
            f"[dim]  recalled [{hit['channel']} {hit['date']} score {hit['score']:.3f} "
            f"sim {hit['similarity']} kw {hit['keyword_score']}] "
            f"{escape(hit['text'][:120])!r}[/]"
        )
    console.print(f"[dim]  {result.latency_ms:.0f} ms, ~{result.prompt_tokens} prompt tokens[/]")
