"""`hilo worker` in its own process answers messages the web app accepted and queued."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from server.app import create_app
from server.services import start_services
from tests.channels.conftest import inbound_form, post_signed
from tests.waiting import wait_until, wait_until_drained


@pytest.fixture
def twilio_settings(twilio_settings):
    # A short client timeout: a send cut off in flight is in doubt (looked up in Twilio's log,
    # not sent again) for 4 × this, and these tests wait for the re-send.
    return twilio_settings.model_copy(update={"twilio_timeout": 5.0})


@pytest.fixture
def fake_twilio(fake_twilio):
    yield fake_twilio
    # A request a killed worker left hanging inside the fake is not waited for at its stop.
    fake_twilio.server.force_exit = True


@pytest.fixture
async def web_only(twilio_settings):
    svc = await start_services(twilio_settings)  # no worker in this process
    yield svc
    await svc.close()


async def scalar(url: str, query: str) -> Any:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        row = await (await conn.execute(query)).fetchone()
    return row[0] if row else None


async def worker_process(
    settings, *, stderr: int = subprocess.DEVNULL
) -> asyncio.subprocess.Process:
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
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "worker",
        env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip


async def killed(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL: no cleanup, its job stays `doing`."""
    proc.kill()
    await asyncio.wait_for(proc.wait(), timeout=10)


async def requeue_the_killed_send(web_only) -> None:
    """Requeue the killed worker's jobs; its send must be among them (the worker may also have
    been running one of its periodic sweeps)."""
    from server.jobs.app import requeue_stalled_jobs

    assert await requeue_stalled_jobs(web_only.jobs, seconds_since_heartbeat=0) >= 1
    requeued_sends = await scalar(
        web_only.memory.url,
        "SELECT count(*) FROM procrastinate_jobs WHERE status='todo' "
        "AND task_name = 'whatsapp:send_whatsapp'",
    )
    assert requeued_sends == 1


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
    url = web_only.memory.url
    assert await scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE status='todo'") == 1
    proc = await worker_process(twilio_settings, stderr=subprocess.PIPE)
    try:

        async def answered():
            return len(fake_twilio.messages) == 1

        await wait_until(answered, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, stderr.decode(errors="replace")


async def test_a_worker_killed_mid_job_is_replaced_and_nothing_is_lost_or_sent_twice(
    web_only, twilio_settings, fake_twilio
):
    import httpx

    hang = 3.0
    fake_twilio.delay = hang  # the reply's send hangs inside Twilio while we kill the worker
    app = create_app(services=web_only)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hilo.test"
    ) as client:
        await post_signed(
            client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "f" * 32, "Hola")
        )
    url = web_only.memory.url
    proc = await worker_process(twilio_settings)

    async def sending() -> bool:
        doing = await scalar(
            url,
            "SELECT count(*) FROM procrastinate_jobs WHERE status='doing' "
            "AND task_name = 'whatsapp:send_whatsapp'",
        )
        return doing == 1

    try:
        await wait_until(sending, timeout=60)
    finally:
        await killed(proc)
    fake_twilio.delay = 0.0
    await requeue_the_killed_send(web_only)
    # The killed attempt is in doubt until Twilio could no longer accept it: the fake answers
    # it (499, the caller is gone) after `hang`. In production the requeue itself comes later
    # than the settle window (the stalled-worker timeout is longer); here the test requeues at
    # once, so the window is the fake's hang, not 4 × the client timeout.
    web_only.whatsapp.settle = timedelta(seconds=hang + 0.5)
    await web_only.start_worker()

    async def sent():
        return len(fake_twilio.messages) == 1

    await wait_until(sent, timeout=60)
    await wait_until_drained(url)  # the requeued turn and send ran: a second copy would be out
    assert len(fake_twilio.messages) == 1
    assert await scalar(url, "SELECT count(*) FROM messages WHERE role='customer'") == 1


async def test_a_worker_killed_after_twilio_accepted_the_message_does_not_send_it_again(
    web_only, twilio_settings, fake_twilio
):
    import httpx

    fake_twilio.hang_after_accept = 30.0  # Twilio took the message; its answer never arrives
    app = create_app(services=web_only)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hilo.test"
    ) as client:
        await post_signed(
            client, "/webhooks/twilio/whatsapp", inbound_form("SM" + "d" * 32, "Hola")
        )
    proc = await worker_process(twilio_settings)

    async def accepted():
        return len(fake_twilio.messages) == 1

    try:
        await wait_until(accepted, timeout=60)
    finally:
        await killed(proc)
    fake_twilio.hang_after_accept = 0.0
    await requeue_the_killed_send(web_only)
    await web_only.start_worker()

    async def reply_sid() -> str | None:
        return await scalar(
            web_only.memory.url, "SELECT external_id FROM messages WHERE role='agent'"
        )

    async def recorded():
        return await reply_sid() is not None

    await wait_until(recorded, timeout=60)
    assert fake_twilio.attempts == 1  # looked up in Twilio's log, not posted again
    assert await reply_sid() == fake_twilio.resources[0]["sid"]
