"""`hilo worker`: run job workers only (scale out: many workers, one database)."""

from __future__ import annotations

import asyncio
import signal

import typer


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(concurrency: int = typer.Option(4, help="Jobs run at once by this worker.")) -> None:
    """Process queued jobs (agent turns, WhatsApp sends, call ingest) until stopped."""
    from config import Settings
    from server.logging_setup import configure_logging
    from server.services import start_services

    settings = Settings()
    configure_logging(settings.log_format)

    async def run() -> None:
        services = await start_services(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await services.start_worker(concurrency=concurrency)
            await stop.wait()
        finally:
            await services.close()

    asyncio.run(run())
