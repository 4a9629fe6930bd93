"""`hilo worker`: run job workers only (scale out: many workers, one database)."""

from __future__ import annotations

import asyncio
import signal

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command(
        "worker",
        epilog="Examples:  hilo worker  ·  DATABASE_URL=postgresql://hilo@db/hilo hilo worker "
        "--concurrency 8",
    )(worker)


def worker(concurrency: int = typer.Option(4, help="Jobs run at once by this worker.")) -> None:
    """Process queued jobs (agent turns, WhatsApp sends, call ingest) until stopped.

    Rides out database restarts; exits with status 1 when the database stays unreachable
    longer than HILO_WORKER_RETRY_BUDGET seconds (default 120), for a supervisor to restart it.
    """
    from config import Settings
    from server.logging_setup import configure_logging
    from server.services import start_services

    settings = Settings()
    configure_logging(settings.log_format)

    async def run() -> str | None:
        services = await start_services(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            running = await services.start_worker(concurrency=concurrency)
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({stopped, running.task}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if running.task.done() and not running.task.cancelled():
                error = running.task.exception()
                if error is not None:
                    return f"the job worker failed: {error}"
            return None
        finally:
            await services.close()

    failure = asyncio.run(run())
    if failure:
        Console(stderr=True).print(f"[bold red]hilo worker:[/] {failure}", highlight=False)
        raise typer.Exit(1)
