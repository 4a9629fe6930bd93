"""`GET /metrics`: Prometheus text that a scraper parses, with request latencies by route
template (never a phone number) and the deployment's state read from the database; with
`hilo serve --workers 2` the processes' request counts add up in one scrape."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from memory import get_or_create_customer
from server import handoff
from server.app import create_app
from server.services import start_services
from tests.channels.conftest import BASE, inbound_form, post_signed

PHONE = "+573001112233"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def idle_client(twilio_settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app without a job worker, so queued jobs stay visible in the queue."""
    services = await start_services(twilio_settings)
    app = create_app(services=services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http
    await services.close()


async def test_metrics_show_the_queued_turn_and_the_webhook_request(
    idle_client: httpx.AsyncClient,
) -> None:
    route = "/webhooks/twilio/whatsapp"
    before = (await idle_client.get("/metrics")).text
    form = inbound_form("SM" + "m" * 32, "Hola, ¿cuánto cuesta?", PHONE)
    assert (await post_signed(idle_client, route, form)).status_code == 200
    response = await idle_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert value(text, "hilo_jobs", task="whatsapp:agent_turn", status="todo") == 1
    assert value(text, "hilo_job_oldest_wait_seconds") >= 0
    assert value(text, "hilo_customers") == 0  # the turn, not the webhook, creates the customer
    key = {"method": "POST", "route": route, "status": "200"}
    counted = value(text, "hilo_http_request_duration_seconds_count", **key)
    assert counted == value(before, "hilo_http_request_duration_seconds_count", **key) + 1
    assert PHONE.lstrip("+") not in text and "SM" + "m" * 32 not in text


async def test_metrics_count_open_escalations_and_their_wait(services: Any) -> None:
    customer = await get_or_create_customer(services.memory, PHONE, name="Ana")
    await handoff.open_by_operator(services, customer.id, "laura@solandino.co", "cliente VIP")
    app = create_app(services=services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        # The fixture's worker registers itself (its first heartbeat) once its task has run.
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            text = (await http.get("/metrics")).text
            if value(text, "hilo_job_workers") >= 1 or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
    assert value(text, "hilo_escalations", status="open") == 1
    assert value(text, "hilo_escalations", status="assigned") == 0
    assert value(text, "hilo_escalation_oldest_open_seconds") > 0
    assert value(text, "hilo_customers") == 1
    assert value(text, "hilo_job_workers") >= 1  # the fixture's worker sends heartbeats


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_web_processes_report_their_requests_together(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "HILO_DATA_DIR": str(tmp_path / "hilo"),
        "HILO_RUN_WORKER": "false",
        "HILO_LLM": "rules",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "hilo serve --workers 2 did not become ready"
            time.sleep(0.2)
        # New connections each time, so the kernel spreads them over both processes.
        for _ in range(40):
            assert httpx.get(base + "/healthz", timeout=5).status_code == 200
        text = httpx.get(base + "/metrics", timeout=10).text
        per_process = [
            labels
            for (name, labels) in samples(text)
            if name == "hilo_http_request_duration_seconds_count" and "pid" in dict(labels)
        ]
        assert per_process == []  # summed across processes, not one series per process
        counted = value(
            text,
            "hilo_http_request_duration_seconds_count",
            method="GET",
            route="/healthz",
            status="200",
        )
        assert counted == 40
    finally:
        server.terminate()
        server.wait(timeout=60)
