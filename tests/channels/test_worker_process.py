"""`hilo worker` in its own process answers messages the web app accepted and queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psycopg
import pytest

from server.app import create_app
from server.services import start_services
from tests.channels.conftest import inbound_form, post_signed, wait_until


@pytest.fixture
async def web_only(twilio_settings):
    svc = await start_services(twilio_settings)  # no worker in this process
    yield svc
    await svc.close()


def worker_process(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "HILO_DATA_DIR": str(settings.data_dir),
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token.get_secret_value(),
        "TWILIO_WHATSAPP_FROM": settings.twilio_whatsapp_from,
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
        "HILO_LLM": "rules",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_separate_worker_process_answers_and_stops_cleanly(
    web_only, twilio_settings, fake_twilio
):
    import httpx

    app = create_app(services=web_only)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hilo.test"
    ) as client:
        await post_signed(
            client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "e" * 32, "Hola")
        )
    with psycopg.connect(web_only.memory.url) as conn:
        assert (
            conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status='todo'").fetchone()[
                0
            ]
            == 1
        )
    proc = worker_process(twilio_settings)
    try:

        async def answered():
            return len(fake_twilio.messages) == 1

        await wait_until(answered, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
