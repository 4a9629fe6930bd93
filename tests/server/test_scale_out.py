"""Scale-out on one PostgreSQL: two `hilo serve` processes without a job worker (behind a load
balancer, in production) and three `hilo worker` processes share one database. 300 signed
WhatsApp messages from 30 customers, posted over both web processes while one worker is
SIGKILLed mid-way, each get exactly one reply, stored and sent in order per customer.

Every process is started once for the whole scenario (starting one costs seconds: imports, the
embedding model); replies go to the local fake Twilio. The stall threshold is lowered
(`HILO_JOB_STALLED_AFTER`), so the killed worker's jobs are requeued within seconds rather
than the production minute.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from memory import Memory, find_customer_by_phone
from memory.messages import timeline
from memory.stats import operational_stats
from tests.channels.conftest import ACCOUNT_SID, AUTH_TOKEN, inbound_form, twilio_signature
from tests.channels.fake_twilio import FakeTwilio

CUSTOMERS = 30
MESSAGES_EACH = 10
WORKERS = 3
STALLED_AFTER = 5  # seconds; heartbeats every 5/6 s, stalled jobs looked for every second
WHATSAPP_TASKS = ("whatsapp:agent_turn", "whatsapp:send_whatsapp")
ROUTE = "/webhooks/twilio/whatsapp"


def phone_of(customer: int) -> str:
    return f"+57300{1000000 + customer:07d}"


def text_of(customer: int, k: int) -> str:
    return f"Hola, soy el cliente {customer}: consulta número {k}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Fleet:
    web: list[str]  # base URLs of the `hilo serve` processes
    workers: list[subprocess.Popen[bytes]]
    worker_logs: list[Path]


def _environment(db_url: str, tmp_path: Path, fake_twilio: FakeTwilio) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "HILO_DATA_DIR": str(tmp_path / "hilo"),
        "HILO_LLM": "rules",
        "HILO_LOG_FORMAT": "text",
        "HILO_JOB_STALLED_AFTER": str(STALLED_AFTER),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": "+14155238886",
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
    }
    for name in ("PROMETHEUS_MULTIPROC_DIR", "OPENAI_API_KEY", "HILO_PUBLIC_URL"):
        env.pop(name, None)
    return env


async def _wait_for(predicate, what: str, timeout: float, processes=(), progress=None) -> None:
    """Poll `predicate` until true; fail with `what` (and `progress()`) at the deadline or if
    one of `processes` died."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        for proc in processes:
            assert proc.poll() is None, f"a process exited ({proc.returncode}) while {what}"
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"timed out: {what}" + (f" ({await progress()})" if progress else "")
            )
        await asyncio.sleep(0.2)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
async def fleet(
    db_url: str, tmp_path: Path, fake_twilio: FakeTwilio, memory: Memory
) -> AsyncIterator[Fleet]:
    env = _environment(db_url, tmp_path, fake_twilio)
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(proc)
        return proc

    web_env = {**env, "HILO_RUN_WORKER": "0"}
    for i, port in enumerate(ports):
        spawn(["serve", "--port", str(port)], web_env, tmp_path / f"web{i}.log")
    workers = [
        spawn(["worker", "--concurrency", "4"], env, tmp_path / f"worker{i}.log")
        for i in range(WORKERS)
    ]
    web = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with httpx.AsyncClient(timeout=5) as http:

            async def all_up() -> bool:
                for base in web:
                    try:
                        if (await http.get(base + "/readyz")).status_code != 200:
                            return False
                    except httpx.TransportError:
                        return False
                stats = await operational_stats(memory, heartbeat_seconds=STALLED_AFTER)
                return stats.live_workers == WORKERS

            await _wait_for(all_up, "the fleet started", timeout=90, processes=processes)
        yield Fleet(web=web, workers=workers, worker_logs=logs[len(ports) :])
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _post_conversation(http: httpx.AsyncClient, web: list[str], customer: int) -> None:
    """One customer writes its messages one after another, alternating web processes (a load
    balancer spreads a customer's requests); each is acknowledged before the next is sent."""
    for k in range(MESSAGES_EACH):
        url = web[(customer + k) % len(web)] + ROUTE
        sid = f"SM{customer:016x}{k:016x}"
        form = inbound_form(sid, text_of(customer, k), phone_of(customer))
        response = await http.post(
            url, data=form, headers={"X-Twilio-Signature": twilio_signature(url, form)}
        )
        assert response.status_code == 200, response.text


async def _whatsapp_jobs_left(memory: Memory) -> int:
    stats = await operational_stats(memory)
    return sum(n for (task, status), n in stats.jobs.items() if task in WHATSAPP_TASKS)


async def test_two_web_processes_and_three_workers_answer_300_messages_once_each_in_order(
    fleet: Fleet, fake_twilio: FakeTwilio, memory: Memory
) -> None:
    total = CUSTOMERS * MESSAGES_EACH
    async with httpx.AsyncClient(timeout=15) as http:
        posting = asyncio.gather(
            *(_post_conversation(http, fleet.web, c) for c in range(CUSTOMERS))
        )

        async def a_third_answered() -> bool:
            return len(fake_twilio.messages) >= total // 3

        await _wait_for(a_third_answered, "a third was answered", 60, fleet.workers)
        victim = fleet.workers[0]
        victim.kill()  # SIGKILL while busy: its running jobs stay `doing` until requeued
        victim.wait(timeout=10)
        await posting
    survivors = fleet.workers[1:]

    async def all_answered() -> bool:
        return len(fake_twilio.messages) >= total and await _whatsapp_jobs_left(memory) == 0

    async def progress() -> str:
        left = await _whatsapp_jobs_left(memory)
        return f"{len(fake_twilio.messages)} of {total} sent, {left} WhatsApp jobs left"

    await _wait_for(all_answered, "every message was answered", 90, survivors, progress)

    requeued = any("requeued a stalled job" in log.read_text() for log in fleet.worker_logs[1:])
    assert requeued, "the killed worker held no job: the kill proved nothing"
    sent_to: dict[str, list[str]] = {}
    for sent in fake_twilio.messages:
        sent_to.setdefault(sent["To"], []).append(sent["Body"])
    for customer in range(CUSTOMERS):
        found = await find_customer_by_phone(memory, phone_of(customer))
        assert found is not None
        thread = await timeline(memory, found.id)
        said = [m for m in thread if m.role == "customer"]
        replies = [m for m in thread if m.direction == "outbound"]
        assert [m.text for m in said] == [text_of(customer, k) for k in range(MESSAGES_EACH)]
        # Exactly one reply per message, each right after the message it answers.
        assert [m.meta.get("in_reply_to") for m in replies] == [m.id for m in said]
        assert [m.role for m in thread] == ["customer", "agent"] * MESSAGES_EACH
        # Sent once each, and reaching the customer in the order they were written.
        sent = sent_to.get(f"whatsapp:{phone_of(customer)}", [])
        assert sent == [m.text for m in replies], f"customer {customer}: sends differ"
