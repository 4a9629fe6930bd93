"""Alerts when a conversation is handed to people: one per destination through the job queue
(a Slack-compatible webhook and WhatsApp to the on-call numbers), retried on failure, and a
reminder per SLA period for escalations nobody took."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from memory import current_escalation, find_customer_by_phone, get_or_create_customer
from memory.escalations import get_escalation
from server import handoff
from server.app import create_app
from server.jobs.alerts import sla_sweep
from server.services import start_services
from tests.channels.conftest import BASE, inbound_form, post_signed
from tests.channels.fake_twilio import FakeTwilio
from tests.local_server import LocalServer
from tests.waiting import wait_until, wait_until_drained

ONCALL = ["+573009990001", "+573009990002"]
PHONE = "+573001112233"
SLA = timedelta(seconds=3)


class FakeAlertWebhook(LocalServer):
    """A Slack-style incoming webhook: records JSON bodies, can fail first."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failures: list[int] = []
        app = FastAPI()

        @app.post("/hooks/alerts")
        async def hook(request: Request) -> Any:
            if self.failures:
                return JSONResponse({"error": "busy"}, status_code=self.failures.pop(0))
            self.received.append(await request.json())
            return JSONResponse("ok")

        super().__init__(app)


@pytest.fixture
def alert_hook() -> Iterator[FakeAlertWebhook]:
    fake = FakeAlertWebhook().start()
    yield fake
    fake.stop()


@pytest.fixture
async def alerting(twilio_settings: Any, alert_hook: FakeAlertWebhook) -> AsyncIterator[Any]:
    settings = twilio_settings.model_copy(
        update={
            "alert_webhook_url": SecretStr(alert_hook.base_url + "/hooks/alerts"),
            "oncall_whatsapp": ONCALL,
            "escalation_sla": SLA,
            "public_url": "https://hilo.example",
        }
    )
    services = await start_services(settings)
    await services.start_worker(concurrency=4)
    yield services
    await services.close()


@pytest.fixture
async def alert_client(alerting: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=alerting)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


def oncall_messages(fake: FakeTwilio) -> list[dict[str, str]]:
    return [m for m in fake.messages if m["To"] in {f"whatsapp:{n}" for n in ONCALL}]


async def test_an_escalation_alerts_the_webhook_once_and_each_oncall_number_once(
    alert_client: httpx.AsyncClient,
    alerting: Any,
    alert_hook: FakeAlertWebhook,
    fake_twilio: FakeTwilio,
) -> None:
    form = inbound_form("SM" + "d" * 32, "Quiero hablar con una persona ya", PHONE)
    signed_for = "https://hilo.example/webhooks/twilio/whatsapp"  # HILO_PUBLIC_URL is set
    response = await post_signed(alert_client, "/webhooks/twilio/whatsapp", form, url=signed_for)
    assert response.status_code == 200

    async def delivered() -> bool:
        return len(alert_hook.received) >= 1 and len(oncall_messages(fake_twilio)) >= 2

    await wait_until(delivered)
    await wait_until_drained(alerting.memory.url)  # nothing more arrives
    assert len(alert_hook.received) == 1
    body = alert_hook.received[0]
    assert body["blocks"][0]["type"] == "section" and "Nueva escalación" in body["text"]
    assert "https://hilo.example/customers/" in body["text"]
    assert PHONE not in body["text"]  # masked
    assert sorted(m["To"] for m in oncall_messages(fake_twilio)) == [
        f"whatsapp:{n}" for n in ONCALL
    ]
    customer = await find_customer_by_phone(alerting.memory, PHONE)
    assert customer is not None
    escalation = await current_escalation(alerting.memory, customer.id)
    assert escalation is not None and escalation.alert_count == 1


async def test_a_failing_webhook_is_retried_and_delivered_once(
    alerting: Any, alert_hook: FakeAlertWebhook, fake_twilio: FakeTwilio
) -> None:
    alert_hook.failures = [500]
    customer = await get_or_create_customer(alerting.memory, PHONE, name="Ana")
    await handoff.open_by_operator(alerting, customer.id, "laura@solandino.co", "Cliente VIP")

    async def delivered() -> bool:
        return len(alert_hook.received) >= 1

    await wait_until(delivered, timeout=30)
    await wait_until_drained(alerting.memory.url)  # no retry left to deliver it again
    assert len(alert_hook.received) == 1 and alert_hook.failures == []
    assert len(oncall_messages(fake_twilio)) == 2  # the WhatsApp alerts were not repeated


async def test_untaken_escalations_are_reminded_once_per_sla_period_and_taken_ones_never(
    alerting: Any, alert_hook: FakeAlertWebhook
) -> None:
    # The worker's own periodic sweep (every minute, and once at start-up) may claim the
    # reminder before the test's sweeps do: what must hold is one reminder per period, whoever
    # sweeps, so the count is read from the escalations and from the webhook.
    memory = alerting.memory
    ana = await get_or_create_customer(memory, PHONE, name="Ana")
    luis = await get_or_create_customer(memory, "+573001112244", name="Luis")
    waiting, _ = await handoff.open_by_operator(alerting, ana.id, "laura@solandino.co", "espera")
    taken, _ = await handoff.open_by_operator(alerting, luis.id, "laura@solandino.co", "tomada")
    await handoff.take(alerting, taken.id, "laura@solandino.co")
    await wait_until(lambda: _received(alert_hook, 2))
    assert await sla_sweep(0) == 0  # within the SLA
    await asyncio.sleep(SLA.total_seconds() + 0.2)  # the SLA period itself has to pass
    reminded = await asyncio.gather(sla_sweep(0), sla_sweep(0))  # two workers sweep at once
    assert sum(reminded) <= 1
    await wait_until(lambda: _received(alert_hook, 3))
    await wait_until_drained(memory.url)  # no second reminder on its way
    reminders = [b for b in alert_hook.received if "Recordatorio" in b["text"]]
    assert len(reminders) == 1 and "Ana" in reminders[0]["text"]
    assert [await _alert_count(alerting, e.id) for e in (waiting, taken)] == [2, 1]
    assert await sla_sweep(0) == 0  # the next period has not passed yet


async def test_without_destinations_nothing_is_queued(services: Any) -> None:
    customer = await get_or_create_customer(services.memory, PHONE, name="Ana")
    escalation, _ = await handoff.open_by_operator(services, customer.id, "laura@x.co", "motivo")
    async with services.memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE task_name = 'alerts:send_alert'"
            )
        ).fetchone()
    assert row is not None and row["n"] == 0


async def _received(hook: FakeAlertWebhook, n: int) -> bool:
    return len(hook.received) >= n


async def _alert_count(services: Any, escalation_id: int) -> int:
    escalation = await get_escalation(services.memory, escalation_id)
    assert escalation is not None
    return escalation.alert_count
