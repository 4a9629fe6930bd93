"""`hilo calls submit FILE`: an ElevenLabs batch call whose variables come from memory."""

from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path

import typer
from rich.console import Console

console = Console()
calls_app = typer.Typer(no_args_is_help=True, help="ElevenLabs outbound calls.")


def register(app: typer.Typer) -> None:
    app.add_typer(calls_app, name="calls")


@calls_app.command("submit")
def submit(
    file: Path = typer.Argument(
        ..., exists=True, readable=True, help="CSV with columns phone, name and any variables."
    ),
    name: str = typer.Option("", help="Batch name (default: the file name)."),
) -> None:
    """Submit a batch call; each recipient gets its memory (last summary, pending questions)."""
    from channels.elevenlabs_calls import submit_batch
    from config import Settings
    from memory import InvalidPhone, customer_context, get_or_create_customer, open_memory
    from server.logging_setup import configure_logging

    settings = Settings()
    configure_logging("text", logging.WARNING)
    with file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "phone" not in rows[0]:
        raise typer.BadParameter("the CSV needs a header with a `phone` column", param_hint="FILE")

    async def run() -> str:
        memory = await open_memory(settings)
        try:
            recipients = []
            for line, row in enumerate(rows, start=2):
                try:
                    customer = await get_or_create_customer(
                        memory, row["phone"], name=row.get("name") or None
                    )
                except InvalidPhone as exc:
                    raise typer.BadParameter(f"line {line}: {exc}", param_hint="FILE") from exc
                context = await customer_context(memory, customer.id, recent=0)
                variables = {k: v for k, v in row.items() if k and k != "phone" and v}
                variables.update(
                    {
                        "customer_name": customer.name or row.get("name", ""),
                        "last_summary": (context.last_call.summary or "")
                        if context.last_call
                        else "",
                        "pending_questions": "; ".join(context.pending_questions),
                    }
                )
                recipients.append((f"cust-{customer.id}", customer.phone, variables))
            return await submit_batch(settings, name or file.stem, recipients)
        finally:
            await memory.close()

    batch_id = asyncio.run(run())
    console.print(f"submitted batch {batch_id} with {len(rows)} recipients")
