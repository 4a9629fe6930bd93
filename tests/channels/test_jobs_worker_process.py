"""`hilo worker` in its own process answers messages the web app accepted and queued."""

from __future__ import annotations

import asyncio
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
def twilio_settings(twilio_settings):
    # A short client timeout: a send cut off in flight is in doubt (looked up in Twilio's log,
    # not sent again) for 4 × this, and these tests wait for the re-send.
    return twilio_settings.model_copy(update={"twilio_timeout": 5.0})


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
        "HILO_TWILIO_TIMEOUT": str(settings.twilio_timeout),
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


async def test_a_worker_killed_mid_job_is_replaced_and_nothing_is_lost_or_sent_twice(
    web_only, twilio_settings, fake_twilio
):
    import httpx

    from server.jobs.app import requeue_stalled_jobs

    fake_twilio.delay = 8.0  # the reply's send hangs inside Twilio while we kill the worker
    app = create_app(services=web_only)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hilo.test"
    ) as client:
        await post_signed(
            client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "f" * 32, "Hola")
        )
    proc = worker_process(twilio_settings)

    def sending() -> bool:
        with psycopg.connect(web_only.memory.url) as conn:
            return (
                conn.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status='doing' "
                    "AND task_name = 'whatsapp:send_whatsapp'"
                ).fetchone()[0]
                == 1
            )

    async def is_sending():
        return sending()

    try:
        await wait_until(is_sending, timeout=60)
    finally:
        proc.kill()  # SIGKILL: no cleanup, the job stays `doing`
        proc.wait(timeout=10)
    fake_twilio.delay = 0.0
    assert await requeue_stalled_jobs(web_only.jobs, seconds_since_heartbeat=0) == 1
    await web_only.start_worker()

    async def sent():
        return len(fake_twilio.messages) == 1

    await wait_until(sent, timeout=60)
    await asyncio.sleep(1)
    assert len(fake_twilio.messages) == 1
    with psycopg.connect(web_only.memory.url) as conn:
        assert (
            conn.execute("SELECT count(*) FROM messages WHERE role='customer'").fetchone()[0] == 1
        )


async def test_a_worker_killed_after_twilio_accepted_the_message_does_not_send_it_again(
    web_only, twilio_settings, fake_twilio
):
    import httpx

    from server.jobs.app import requeue_stalled_jobs

    fake_twilio.hang_after_accept = 30.0  # Twilio took the message; its answer never arrives
    app = create_app(services=web_only)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hilo.test"
    ) as client:
        await post_signed(
            client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "d" * 32, "Hola")
        )
    proc = worker_process(twilio_settings)

    async def accepted():
        return len(fake_twilio.messages) == 1

    try:
        await wait_until(accepted, timeout=60)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    fake_twilio.hang_after_accept = 0.0
    assert await requeue_stalled_jobs(web_only.jobs, seconds_since_heartbeat=0) == 1
    await web_only.start_worker()

    def reply_sid() -> str | None:
        with psycopg.connect(web_only.memory.url) as conn:
            row = conn.execute("SELECT external_id FROM messages WHERE role='agent'").fetchone()
        return row[0] if row else None

    async def recorded():
        return reply_sid() is not None

    await wait_until(recorded, timeout=60)
    assert fake_twilio.attempts == 1  # looked up in Twilio's log, not posted again
    assert reply_sid() == fake_twilio.resources[0]["sid"]
