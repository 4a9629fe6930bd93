"""How `hilo … --help` writes parameters: `PHONE` for a required argument, `[NAME]` for an
optional one, `FILE...` for several, and flags without a value placeholder.

Typer 0.29 writes `{phone}` in the usage line, `<bool>` after every flag (`--verbose
<bool>`), which reads as if the flag took a value, and `<list[Path]>` for several files.
`HiloTyper` is a `typer.Typer` whose commands and groups use the classes below; every `hilo`
command is registered through one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# Typer 0.27+ vendors its own click (`typer._click`): parameters are told apart by their
# `param_type_name`, not by class, so this works with either.


LIST_TYPE = re.compile(r"<list\[(\w+)\]>")


def _quiet_flags(command: Any, ctx: Any) -> None:
    """No value placeholder for a flag (a flag takes none): an empty metavar is shown as is.
    Several values show their element's type, not Python's `<list[Path]>`: `<path>...` for an
    argument, `<str>` for a repeatable option (given once per value; its help says so)."""
    for param in command.get_params(ctx):
        flag = param.param_type_name == "option" and getattr(param, "is_flag", False)
        if flag and param.metavar is None:
            param.metavar = ""
        elif param.param_type_name == "argument" and param.metavar is None and param.name:
            param.metavar = param.name.upper()  # PHONE in the arguments panel too
        shown = param.display_type(ctx) if hasattr(param, "display_type") else ""
        several = LIST_TYPE.fullmatch(shown or "")
        if several and param.param_type_name == "option" and param.metavar is None:
            param.metavar = f"<{several[1].lower()}>"
        elif several:
            param.display_type_rich = lambda ctx, t=f"<{several[1].lower()}>...": t


def _reflow(command: Any) -> None:
    """One paragraph, one line: Typer 0.29 keeps a docstring's line breaks inside the paragraphs
    after the first, so a wrapped docstring was printed broken mid-sentence on a terminal."""
    if command.help and not getattr(command, "_hilo_reflowed", False):
        text = inspect.cleandoc(command.help)
        command.help = "\n\n".join(
            " ".join(line.strip() for line in paragraph.splitlines())
            for paragraph in text.split("\n\n")
        )
        command._hilo_reflowed = True


def _usage(command: Any, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = (param.metavar or param.name or "").upper()
            name += "..." if param.nargs != 1 else ""
            pieces.append(name if param.required else f"[{name}]")
        else:
            pieces.extend(param.get_usage_pieces(ctx))
    return pieces


class HiloCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _quiet_flags(self, ctx)
        _reflow(self)
        super().format_help(ctx, formatter)


class HiloGroup(TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _quiet_flags(self, ctx)
        _reflow(self)
        super().format_help(ctx, formatter)


class HiloTyper(typer.Typer):
    """A `typer.Typer` whose commands and groups write their help as above."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=HiloGroup, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", HiloCommand)
        return super().command(*args, **kwargs)
