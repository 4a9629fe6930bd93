"""`hilo chat PHONE`: talk to the agent as that WhatsApp customer, in the terminal.

Each line goes through `run_turn` on the customer's one thread (the same checkpointed thread
the WhatsApp worker uses), and the reply is delivered through the console channel: stored as a
WhatsApp message with delivery status `console`, and printed. Offline it runs on the rules
model; with `OPENAI_API_KEY` (and `OPENAI_BASE_URL`) set, on that endpoint.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

console = Console()


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)


@dataclass
class ConsoleSender:
    """Messages the agent sends with `send_whatsapp`: stored (status `console`) and printed."""

    memory: Any

    async def send_text(self, customer_id: int, text: str, *, role: str = "agent") -> int:
        from tools.ports import StoreOnlySender

        message_id = await StoreOnlySender(self.memory).send_text(customer_id, text, role=role)
        console.print(f"[magenta]whatsapp>[/] {escape(text)}")
        return message_id


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
    from channels.delivery import deliver
    from channels.twilio import ConsoleChannel
    from memory import get_or_create_customer, open_memory

    memory = await open_memory(settings)
    try:
        agent = await build_agent(settings, memory, sender=ConsoleSender(memory))
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
                await deliver(memory, ConsoleChannel(), settings, result.reply_message_id)
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
