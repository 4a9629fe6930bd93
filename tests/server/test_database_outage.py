"""Hilo keeps working when its database restarts, crashes or is gone for a while.

Each test runs a PostgreSQL of its own (tests/pg_control.py) under the whole app with its
in-process worker, as `hilo serve` runs, with Twilio faked over real HTTP.
- A backend SIGKILLed (PostgreSQL then resets every connection and runs crash recovery, as it
  did after pgvector's SIGILL): the next signed message is answered and /readyz is 200.
- The database stopped for 20 s while customers write: webhooks answer 503 meanwhile (Twilio
  delivers again), never 200 for what was not stored; everything accepted before and after is
  answered exactly once, and a refused delivery sent again afterwards is accepted once.
- A worker whose database stays away past its retry budget: /readyz 503 naming the worker,
  and `hilo worker` exits non-zero.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

import server.jobs.app
from config import Settings
from server.app import create_app
from server.services import start_services
from tests import pg_control
from tests.channels.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE, inbound_form, post_signed
from tests.channels.fake_twilio import FakeTwilio
from tests.pg_control import OwnPostgres

own_postgres = pg_control.own_postgres  # the fixture
OUTAGE_SECONDS = 20.0
WHATSAPP = "/webhooks/twilio/whatsapp"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


def own_settings(url: str, fake: FakeTwilio, tmp_path: Any, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        data_dir=tmp_path / "hilo",
        llm="rules",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(AUTH_TOKEN),
        twilio_whatsapp_from="+14155238886",
        twilio_api_base_url=fake.base_url,
        **extra,
    )


@pytest.fixture
async def serving(own_postgres, fake_twilio, tmp_path, embeddings) -> AsyncIterator[Any]:
    services = await start_services(own_settings(own_postgres.url, fake_twilio, tmp_path))
    await services.start_worker(concurrency=4)
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=30
    ) as http:
        yield http, services
    await services.close()


def replies_to(fake: FakeTwilio, phone: str) -> list[dict[str, str]]:
    return [m for m in fake.messages if m["To"] == f"whatsapp:{phone}"]


async def until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.1)


async def test_a_backend_crash_is_survived_and_the_next_message_answered(
    serving, own_postgres, fake_twilio
):
    http, services = serving
    phone = "+573001110001"
    assert (
        await post_signed(http, WHATSAPP, inbound_form("SM" + "a" * 32, "Hola", phone))
    ).status_code == 200

    async def answered(n: int):
        async def check() -> bool:
            return len(replies_to(fake_twilio, phone)) >= n

        return check

    await until(await answered(1), 30, "the first message answered")
    own_postgres.kill_a_backend()  # every connection is reset; crash recovery runs

    async def accepted() -> bool:
        form = inbound_form("SM" + "b" * 32, "¿Sigues ahí?", phone)
        return (await post_signed(http, WHATSAPP, form)).status_code == 200

    await until(accepted, 30, "a webhook accepted after crash recovery")
    await until(await answered(2), 60, "the message after the crash answered")

    async def ready() -> bool:
        return (await http.get("/readyz")).status_code == 200

    await until(ready, 30, "/readyz ready again")
    assert len(replies_to(fake_twilio, phone)) == 2


async def test_a_database_outage_answers_503_and_loses_or_repeats_nothing(
    serving, own_postgres, fake_twilio
):
    http, services = serving
    phones = [f"+57300222000{i}" for i in range(4)]
    accepted: dict[str, str] = {}  # sid -> phone
    refused: dict[str, dict[str, str]] = {}
    statuses: list[int] = []
    outage = asyncio.Event()
    done = asyncio.Event()

    async def customer(index: int, phone: str) -> None:
        n = 0
        while not done.is_set():
            sid = f"SM{index:02d}{n:030d}"
            form = inbound_form(sid, f"Mensaje {n}", phone)
            response = await post_signed(http, WHATSAPP, form)
            statuses.append(response.status_code)
            if response.status_code == 200:
                accepted[sid] = phone
            else:
                assert response.status_code == 503, response.text
                assert outage.is_set(), "503 while the database was up"
                refused[sid] = form
            n += 1
            await asyncio.sleep(0.4)

    writers = [asyncio.create_task(customer(i, p)) for i, p in enumerate(phones)]

    async def each_answered_before_the_outage() -> bool:
        return all(replies_to(fake_twilio, phone) for phone in phones)

    await until(each_answered_before_the_outage, 30, "every customer answered before the outage")
    outage.set()
    await own_postgres.stop()
    await asyncio.sleep(OUTAGE_SECONDS)
    await own_postgres.start()

    async def accepting_again() -> bool:
        return statuses[-4:] == [200] * 4

    await until(accepting_again, 60, "webhooks accepted again after the outage")
    done.set()
    await asyncio.gather(*writers)
    outage.clear()
    assert refused, "no webhook arrived during the outage"
    assert 503 in statuses

    # Twilio delivers the refused ones again: each is accepted now, once.
    for form in refused.values():
        assert (await post_signed(http, WHATSAPP, form)).status_code == 200
        accepted[form["MessageSid"]] = form["From"].removeprefix("whatsapp:")
    again = next(iter(refused.values()))
    assert (await post_signed(http, WHATSAPP, again)).status_code == 200  # a duplicate

    url = services.memory.url

    async def all_answered() -> bool:
        with psycopg.connect(url) as conn:
            done_turns = conn.execute(
                "SELECT count(*) FROM webhook_events WHERE source = 'twilio' "
                "AND event_type = 'whatsapp_inbound' AND status = 'done'"
            ).fetchone()[0]
        return done_turns == len(accepted)

    try:
        await until(all_answered, 120, f"all {len(accepted)} accepted messages processed")
    except AssertionError:
        with psycopg.connect(url) as conn:
            left = conn.execute(
                "SELECT id, status, attempts, error FROM webhook_events WHERE status <> 'done'"
            ).fetchall()
            jobs = conn.execute(
                "SELECT id, task_name, status, attempts, worker_id FROM procrastinate_jobs "
                "WHERE status <> 'succeeded'"
            ).fetchall()
        raise AssertionError(f"events not done: {left}; jobs: {jobs}") from None

    async def all_replied() -> bool:
        return len(fake_twilio.messages) >= len(accepted)

    await until(all_replied, 120, f"{len(accepted)} replies sent")
    assert services.worker is not None and services.worker.alive, services.worker
    with psycopg.connect(url) as conn:
        stored = {
            row[0]
            for row in conn.execute("SELECT external_id FROM messages WHERE role = 'customer'")
        }
    assert stored == set(accepted)
    # The rules model answers each message once: one reply per accepted message, none twice.
    for phone in phones:
        mine = sum(1 for p in accepted.values() if p == phone)
        assert len(replies_to(fake_twilio, phone)) == mine, phone


async def test_a_worker_past_its_retry_budget_makes_serve_not_ready(
    own_postgres, fake_twilio, tmp_path, embeddings, monkeypatch
):
    # The job worker's pool waits 1 s for a connection instead of 5, so that its worker dies
    # (and the supervisor's budget starts) a few seconds sooner: the budget and /readyz are
    # what is tested here; `hilo worker` below runs with the production wait.
    monkeypatch.setattr(server.jobs.app, "POOL_WAIT_SECONDS", 1.0)
    settings = own_settings(own_postgres.url, fake_twilio, tmp_path, worker_retry_budget=2.0)
    services = await start_services(settings)
    await services.start_worker()
    app = create_app(services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=30
        ) as http:
            assert (await http.get("/readyz")).status_code == 200
            await own_postgres.stop()

            async def worker_failed() -> bool:
                return services.worker is not None and not services.worker.alive

            await until(worker_failed, 40, "the worker gives up")
            await own_postgres.start()
            answer = await http.get("/readyz")
            assert answer.status_code == 503
            assert answer.json()["checks"]["worker"].startswith("failed:")
            assert answer.json()["checks"]["database"] == "ok"
    finally:
        await services.close()


def test_hilo_worker_exits_non_zero_when_the_database_stays_away(own_postgres, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": own_postgres.url,
        "HILO_DATA_DIR": str(tmp_path / "hilo"),
        "HILO_WORKER_RETRY_BUDGET": "2",
        "HILO_LLM": "rules",
        "HILO_LOG_FORMAT": "json",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _worker_registered(own_postgres) and time.monotonic() < deadline:
            time.sleep(0.2)
        asyncio.run(own_postgres.stop())
        code = worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        asyncio.run(own_postgres.start())
    stderr = worker.stderr.read() if worker.stderr else ""
    assert code == 1, stderr[-2000:]
    assert "hilo worker: the job worker failed" in stderr


def _worker_registered(postgres: OwnPostgres) -> bool:
    """True once a job worker has registered itself in the database."""
    try:
        with psycopg.connect(postgres.url) as conn:
            if conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0] is None:
                return False
            return conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] > 0
    except psycopg.Error:
        return False
