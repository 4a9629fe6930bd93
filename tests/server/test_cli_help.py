"""Every `hilo … --help` explains itself: no value placeholder after a flag, arguments written
PHONE (not `{phone}`), help on every argument and option, an example on every command, and
`serve --help` says where the data lives. Commands are found by walking the `hilo` app, so a
new command is checked without being listed here."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from server.cli import app

ROOT = typer.main.get_command(app)


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        found.append(((*path, name), command))
        found.extend(_commands(command, (*path, name)))
    return found


COMMANDS = _commands(ROOT)
LEAVES = [(path, c) for path, c in COMMANDS if not getattr(c, "commands", None)]


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_listed() -> None:
    names = {" ".join(path) for path, _ in LEAVES}
    assert {"serve", "worker", "demo", "chat", "operators disable", "db migrate"} <= names


ALL = [((), ROOT), *COMMANDS]  # the root and its groups have options of their own (--version)


def _ids(value: Any) -> str:
    return " ".join(value) or "hilo" if isinstance(value, tuple) else ""


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=_ids)
def test_help_has_no_placeholder_after_flags_and_no_braces(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert "<bool>" not in text and "list[" not in text  # `<list[Path]>` is Python, not help
    assert re.findall(r"\{[\w-]+\}", text) == []  # typer's `{phone}` for an argument


@pytest.mark.parametrize("path,command", ALL, ids=_ids)
def test_every_argument_and_option_has_help_and_the_command_a_description(
    path: tuple[str, ...], command: Any
) -> None:
    ctx = command.make_context(" ".join(path) or "hilo", [], resilient_parsing=True)
    missing = [p.name for p in command.get_params(ctx) if not getattr(p, "help", None)]
    assert missing == [], path
    assert (command.help or "").strip(), path


@pytest.mark.parametrize("path", [(), *[p for p, _ in LEAVES]], ids=_ids)
def test_hilo_and_every_command_show_an_example(path: tuple[str, ...]) -> None:
    assert "Example" in _help(path), path


def test_serve_help_says_where_the_data_lives() -> None:
    text = " ".join(_help(("serve",)).split())
    assert "DATABASE_URL" in text and "HILO_DATA_DIR" in text and ".hilo" in text


@pytest.mark.parametrize("path", [p for p, _ in LEAVES], ids=_ids)
def test_help_paragraphs_are_not_broken_where_the_docstring_wrapped(path: tuple[str, ...]) -> None:
    # At 120 columns a line ends where the next word would not fit; a docstring's own line break
    # would end it early, mid-sentence.
    command = dict(COMMANDS)[path]
    paragraphs = (command.help or "").split("\n\n")[1:]
    text = _help(path)
    for paragraph in paragraphs:
        words = paragraph.split()
        for first, second in zip(words, words[1:], strict=False):
            pair = re.compile(rf"{re.escape(first)}\s*\n\s*{re.escape(second)}")
            line_end = pair.search(text)
            if line_end:  # wrapped: only where the next word did not fit on the line
                line = text[: line_end.start()].rsplit("\n", 1)[-1] + first
                assert len(line) + 1 + len(second) > 110, (path, line)
