"""The `hilo` command line: serve, worker, db, chat, demo, calls, eval, operators."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys

import typer
from rich.console import Console

from config import Settings
from server.cli_format import HiloTyper
from server.logging_setup import configure_logging

app = HiloTyper(
    no_args_is_help=True,
    help="Hilo: one conversation thread per customer.",
    epilog="Examples:  hilo demo  ·  hilo operators add ana@empresa.co --name Ana  ·  hilo serve"
    "  ·  hilo COMMAND --help",
)
db_app = HiloTyper(no_args_is_help=True, help="Database schema and embeddings.")
app.add_typer(db_app, name="db")
console = Console()
log = logging.getLogger("hilo")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"hilo {version('hilo')}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Hilo: one conversation thread per customer."""


@app.command(
    epilog="Examples:  hilo serve  ·  hilo serve --host 0.0.0.0 --port 8080  ·  "
    "DATABASE_URL=postgresql://hilo:secret@db:5432/hilo hilo serve --workers 4"
)
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Web processes (each with its job worker unless HILO_RUN_WORKER=0)."
    ),
) -> None:
    """Run the API (and, by default, a job worker) on the embedded database or DATABASE_URL.

    Data lives in PostgreSQL: the server of DATABASE_URL when it is set, otherwise an embedded
    PostgreSQL (with pgvector) in the data folder HILO_DATA_DIR/postgres (default
    ./.hilo/postgres, relative to where you run it; back that folder up). Settings come from
    the environment or a .env file here; the dashboard is at /, the API description at /docs."""
    import uvicorn

    settings = Settings()
    configure_logging(settings.log_format)
    # Before uvicorn: a database that is unreachable or whose pgvector crashes on this CPU is
    # one line and exit 1 here, not a traceback inside the server's start-up.
    from memory.database import preflight

    asyncio.run(preflight(settings))
    if workers > 1:
        # Each process builds its app from the environment; the embedded database is started
        # once here so they all share it (its URL goes to them as DATABASE_URL).
        from memory.database import database_url

        os.environ["DATABASE_URL"] = database_url(settings)
        # Request metrics of all the processes, summed at each scrape (server/metrics.py).
        metrics_dir = settings.data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        uvicorn.run(
            "server.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
        )
        return
    # uvicorn shuts down gracefully on SIGTERM, then raises it again; with the default handler
    # the process would die there without running atexit, which is where pgserver stops the
    # embedded PostgreSQL. Exiting normally instead lets it stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Imported here, not above: with --workers the parent only supervises the processes that
    # build the app (the agent, LangChain, the SDKs), and starts ~1.5 s sooner without them.
    from server.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


@db_app.command(
    "migrate", epilog="Example:  DATABASE_URL=postgresql://hilo@db/hilo hilo db migrate"
)
def db_migrate() -> None:
    """Apply pending schema migrations (safe to run from several processes at once)."""
    from memory.database import database_url
    from memory.migrate import migrate

    settings = Settings()
    configure_logging(settings.log_format, logging.WARNING)

    async def run() -> list[str]:
        return await migrate(database_url(settings))

    applied = asyncio.run(run())
    console.print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@db_app.command("reindex", epilog="Example:  HILO_EMBEDDINGS=openai hilo db reindex")
def db_reindex() -> None:
    """Re-embed every memory chunk with the configured embedding model."""
    from memory.chunks import reembed_chunks
    from memory.store import open_memory

    settings = Settings()
    configure_logging(settings.log_format, logging.WARNING)

    async def run() -> int:
        memory = await open_memory(settings)
        try:
            return await reembed_chunks(memory)
        finally:
            await memory.close()

    count = asyncio.run(run())
    console.print(f"re-embedded {count} chunks")


def _register_commands() -> None:
    from server.commands import MODULES

    for module in MODULES:
        module.register(app)


_register_commands()


def main() -> None:
    """The `hilo` console script: a database that cannot be used is one clear line, exit 1."""
    from memory.errors import DatabaseUnavailable

    try:
        app()
    except DatabaseUnavailable as exc:
        Console(stderr=True).print(f"[bold red]hilo:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
