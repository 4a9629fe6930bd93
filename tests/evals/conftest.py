"""Eval fixtures: one evaluator (a template database on the session's PostgreSQL) per module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from config import Settings
from evals.runner import Evaluator


@pytest.fixture(scope="module")
async def evaluator(
    pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Evaluator]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path(tmp_path_factory.mktemp("hilo")),
        llm="rules",
    )
    evaluator = await Evaluator.start(settings, admin_url=pg_admin_url)
    yield evaluator
    evaluator.close()
