"""`hilo` commands of this concern; `register(app)` adds them to the CLI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing yet."""
