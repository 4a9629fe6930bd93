"""Bursts with two `hilo worker` processes: 30 customers each send 5 bursts of 3 messages;
every burst gets exactly one reply, and each customer's replies answer the bursts in order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import datetime

import httpx
import psycopg
import pytest

from server.app import create_app
from server.services import start_services
from tests.channels.conftest import inbound_form, post_signed
from tests.waiting import wait_until_drained

DEBOUNCE = 0.5
PAUSE = 1.5  # the customers' pause between bursts, longer than the debounce
CUSTOMERS, BURSTS, SIZE = 30, 5, 3


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(update={"whatsapp_debounce": DEBOUNCE})


@pytest.fixture
async def web_only(twilio_settings):
    svc = await start_services(twilio_settings)  # the web side only: no worker in this process
    yield svc
    await svc.close()


async def worker(settings) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "HILO_DATA_DIR": str(settings.data_dir),
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token.get_secret_value(),
        "TWILIO_WHATSAPP_FROM": settings.twilio_whatsapp_from,
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "HILO_LLM": "rules",
        "HILO_WHATSAPP_DEBOUNCE": str(DEBOUNCE),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "worker", "--concurrency", "4",
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def phone(c: int) -> str:
    return f"+5730011{c:05d}"


async def test_thirty_customers_five_bursts_two_workers_one_reply_per_burst_in_order(
    web_only, twilio_settings, fake_twilio
):
    workers = [await worker(twilio_settings) for _ in range(2)]
    app = create_app(services=web_only)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hilo.test", timeout=20
        ) as client:
            for b in range(BURSTS):
                for c in range(CUSTOMERS):
                    for m in range(SIZE):
                        sid = f"SM{c:010d}{b:011d}{m:011d}"
                        form = inbound_form(sid, f"mensaje {m} de la ráfaga {b}", phone=phone(c))
                        response = await post_signed(client, "/webhooks/twilio/whatsapp", form)
                        assert response.status_code == 200
                await asyncio.sleep(PAUSE)  # the customers' pause: the input, not a wait
        await wait_until_drained(web_only.memory.url, timeout=120)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            await asyncio.wait_for(proc.wait(), timeout=30)
    with psycopg.connect(web_only.memory.url) as conn:
        rows = conn.execute(
            """SELECT c.phone, m.role, m.external_id, m.meta->>'in_reply_to', m.id
               FROM messages m JOIN customers c ON c.id = m.customer_id ORDER BY m.id"""
        ).fetchall()
        arrivals = conn.execute(
            """SELECT payload->>'From', event_key, received_at FROM webhook_events
               WHERE source = 'twilio' AND event_type = 'whatsapp_inbound' ORDER BY id"""
        ).fetchall()
    # A burst is what arrived within the debounce of the message before it, as the server saw
    # it: on a machine slow enough to post one customer's three messages more than the
    # debounce apart, that "burst" is two, and two replies are right. Most stay whole.
    bursts: dict[str, list[list[str]]] = {}
    last_at: dict[str, datetime] = {}
    for sender, sid, at in arrivals:
        mine = bursts.setdefault(sender, [])
        if not mine or (at - last_at[sender]).total_seconds() > DEBOUNCE:
            mine.append([])
        mine[-1].append(sid)
        last_at[sender] = at
    whole = sum(len(b) == SIZE for groups in bursts.values() for b in groups)
    assert whole >= CUSTOMERS * BURSTS // 2, f"only {whole} bursts arrived whole"
    assert len(fake_twilio.messages) == sum(map(len, bursts.values()))
    for c in range(CUSTOMERS):
        mine = [r for r in rows if r[0] == phone(c)]
        sid_of = {r[4]: r[2] for r in mine if r[1] == "customer"}
        answered = [sid_of[int(r[3])] for r in mine if r[1] == "agent"]
        groups = bursts[f"whatsapp:{phone(c)}"]
        # One reply a burst, each answering the burst's last message, in the bursts' order.
        assert answered == [group[-1] for group in groups]
        assert [g[-1] for g in groups][-1] == f"SM{c:010d}{BURSTS - 1:011d}{SIZE - 1:011d}"
        sent = [m for m in fake_twilio.messages if m["To"] == f"whatsapp:{phone(c)}"]
        assert len(sent) == len(groups)
