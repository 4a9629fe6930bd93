"""`hilo operators add|list|token|disable`: the people who sign in to the dashboard and API."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from server.cli_format import HiloTyper

console = Console()
operators_app = HiloTyper(no_args_is_help=True, help="Dashboard and API operators.")
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    app.add_typer(operators_app, name="operators")


def _with_memory(work: Callable[[Any], Awaitable[T]]) -> T:
    from config import Settings
    from memory import open_memory
    from server.logging_setup import configure_logging

    settings = Settings()
    configure_logging("text", logging.WARNING)

    async def run() -> T:
        memory = await open_memory(settings, warm_up=False)  # nothing here embeds
        try:
            return await work(memory)
        finally:
            await memory.close()

    return asyncio.run(run())


@operators_app.command(
    "add",
    epilog="Examples:  hilo operators add ana@empresa.co --name Ana  ·  "
    "printf '%s\\n' \"$PASSWORD\" | hilo operators add ana@empresa.co --password-stdin",
)
def add(
    email: str = typer.Argument(..., help="The operator's email (their sign-in name)."),
    name: str = typer.Option(None, help="Display name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts)."
    ),
) -> None:
    """Add an operator; asks for the password (twice, hidden) unless --password-stdin.

    The password needs at least 10 characters."""
    from memory.operators import OperatorExists, create_operator
    from server.auth import MIN_PASSWORD, hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        password_hash = hash_password(password)
    except ValueError:
        console.print(f"[red]the password needs at least {MIN_PASSWORD} characters[/red]")
        raise typer.Exit(2) from None

    async def work(memory: Any) -> Any:
        return await create_operator(memory, email, password_hash, name=name)

    try:
        operator = _with_memory(work)
    except (OperatorExists, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"operator {operator.email} added (id {operator.id})")


@operators_app.command("list", epilog="Example:  hilo operators list")
def list_() -> None:
    """List operators."""
    from memory.operators import list_operators

    rows = _with_memory(list_operators)
    table = Table("id", "email", "name", "active", "last sign-in")
    for op in rows:
        last = f"{op.last_login_at:%Y-%m-%d %H:%M}" if op.last_login_at else "—"
        table.add_row(str(op.id), op.email, op.name or "", "yes" if op.active else "no", last)
    console.print(table)


@operators_app.command(
    "token",
    epilog="Example:  TOKEN=$(hilo operators token ana@empresa.co); "
    'curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/escalations',
)
def token(
    email: str = typer.Argument(..., help="The operator the token acts as."),
    name: str = typer.Option("cli", help="What the token is for."),
) -> None:
    """Print a new API bearer token for the operator (shown once; stored as a hash)."""
    from memory.operators import create_token, get_operator_by_email
    from server.auth import new_token, sha256

    raw = new_token()

    async def work(memory: Any) -> int | None:
        operator = await get_operator_by_email(memory, email)
        if operator is None or not operator.active:
            return None
        return await create_token(memory, operator.id, sha256(raw), name)

    if _with_memory(work) is None:
        console.print(f"[red]no active operator with email {email}[/red]")
        raise typer.Exit(1)
    typer.echo(raw)


@operators_app.command("disable", epilog="Example:  hilo operators disable ana@empresa.co")
def disable(
    email: str = typer.Argument(..., help="The operator to disable (their sign-in email)."),
) -> None:
    """Disable an operator: their sessions end and their tokens are revoked."""
    from memory.operators import UnknownOperator, set_operator_active

    async def work(memory: Any) -> None:
        await set_operator_active(memory, email, False)

    try:
        _with_memory(work)
    except UnknownOperator as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"operator {email} disabled")
