"""`hilo calls submit FILE`: an ElevenLabs batch call whose variables come from memory."""

from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path

import typer
from rich.console import Console

from server.cli_format import HiloTyper

console = Console()
calls_app = HiloTyper(no_args_is_help=True, help="ElevenLabs outbound calls.")


def register(app: typer.Typer) -> None:
    app.add_typer(calls_app, name="calls")


@calls_app.command(
    "submit", epilog="Example:  hilo calls submit clientes.csv --name recordatorio-0601"
)
def submit(
    file: Path = typer.Argument(
        ..., exists=True, readable=True, help="CSV with columns phone, name and any variables."
    ),
    name: str = typer.Option("", help="Batch name (default: the file name)."),
) -> None:
    """Submit a batch call; each recipient gets its memory (last summary, pending questions)."""
    from channels.call_token import custom_llm_extra_body
    from channels.elevenlabs_calls import submit_batch
    from config import Settings
    from memory import (
        InvalidPhone,
        customer_context,
        get_or_create_customer,
        mask_phone,
        normalize_phone,
        open_memory,
    )
    from server.logging_setup import configure_logging

    settings = Settings()
    configure_logging("text", logging.WARNING)
    with file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "phone" not in rows[0]:
        raise typer.BadParameter("the CSV needs a header with a `phone` column", param_hint="FILE")

    # Every phone is checked before anything is written: a bad line creates no customer.
    for line, row in enumerate(rows, start=2):
        try:
            normalize_phone(row.get("phone") or "", settings.default_region)
        except InvalidPhone as exc:
            raise typer.BadParameter(f"line {line}: {exc}", param_hint="FILE") from exc
    declined: list[str] = []

    async def run() -> str | None:
        memory = await open_memory(settings, warm_up=False)  # nothing here embeds
        try:
            recipients = []
            extra_bodies = {}
            for row in rows:
                customer = await get_or_create_customer(
                    memory, row["phone"], name=row.get("name") or None
                )
                if customer.profile.get("calls") == "declined":
                    declined.append(customer.phone)
                    continue
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
                extra = await custom_llm_extra_body(memory, settings, customer.id)
                if extra:
                    extra_bodies[f"cust-{customer.id}"] = extra
            if not recipients:
                return None
            return await submit_batch(
                settings, name or file.stem, recipients, extra_bodies=extra_bodies
            )
        finally:
            await memory.close()

    batch_id = asyncio.run(run())
    if declined:
        console.print(
            f"left out {len(declined)} recipient(s) who asked not to be called: "
            + ", ".join(mask_phone(p) for p in declined)
        )
    if batch_id is None:
        console.print("[red]no recipient left to call; nothing submitted[/red]")
        raise typer.Exit(1)
    console.print(f"submitted batch {batch_id} with {len(rows) - len(declined)} recipients")


@calls_app.command("sync", epilog="Examples:  hilo calls sync  ·  hilo calls sync --since-hours 24")
def sync(
    since_hours: int = typer.Option(72, help="Look back this many hours."),
) -> None:
    """Pull finished conversations from ElevenLabs (when the post-call webhook is not set up).

    Each one goes through the same path as the webhook (raw event stored once, ingest job
    queued); a running `hilo serve` or `hilo worker` ingests it. Already known calls are skipped.
    """
    import time

    from channels.elevenlabs import synced_conversation
    from channels.elevenlabs_calls import finished_conversations
    from config import Settings
    from memory import open_memory
    from memory.queue import ensure_job_schema
    from server.jobs.events import accept_event
    from server.logging_setup import configure_logging

    settings = Settings()
    configure_logging("text", logging.WARNING)

    async def run() -> tuple[int, int]:
        conversations = await finished_conversations(
            settings, since_unix=int(time.time()) - since_hours * 3600
        )
        memory = await open_memory(settings, warm_up=False)  # nothing here embeds
        try:
            await ensure_job_schema(memory.url)
            new = 0
            for data in conversations:
                event = synced_conversation(data)
                event_id = await accept_event(
                    memory, "elevenlabs", event.event_type, event.key, event.payload
                )
                new += event_id is not None
            return len(conversations), new
        finally:
            await memory.close()

    seen, new = asyncio.run(run())
    console.print(f"{seen} finished conversations, {new} new queued for ingest")
