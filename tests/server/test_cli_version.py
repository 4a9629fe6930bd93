"""`hilo --version` names the installed version."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from server.cli import app


def test_version_prints_the_installed_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"hilo {version('hilo')}"
