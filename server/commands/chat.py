"""`hilo chat PHONE`: talk to the agent as that WhatsApp customer, in the terminal."""

from __future__ import annotations

import asyncio
import json
import logging

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)


def chat(
    phone: str = typer.Argument(..., help="The customer's phone number (any common form)."),
    message: str | None = typer.Option(None, "--message", "-m", help="Send one message and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tool calls and recall."),
) -> None:
    """Chat with the agent as the WhatsApp customer PHONE (offline with the rules model)."""
    from agent import build_agent, run_turn
    from config import Settings
    from memory import get_or_create_customer, open_memory
    from server.logging_setup import configure_logging

    settings = Settings()
    configure_logging("text", logging.WARNING)

    async def session() -> None:
        memory = await open_memory(settings)
        try:
            agent = await build_agent(settings, memory)
            customer = await get_or_create_customer(memory, phone)
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
                    for call in result.tool_calls:
                        args = json.dumps(call["args"], ensure_ascii=False)
                        console.print(f"[dim]→ {call['name']}({args})[/]")
                    for hit in result.recalled:
                        console.print(
                            f"[dim]  recalled [{hit['channel']} {hit['date']}] "
                            f"{hit['text'][:120]!r}[/]"
                        )
                if result.reply:
                    console.print(f"[bold green]hilo>[/] {result.reply}")
                else:
                    console.print(f"[yellow](no AI reply: {result.skipped})[/]")
        finally:
            await memory.close()

    asyncio.run(session())
