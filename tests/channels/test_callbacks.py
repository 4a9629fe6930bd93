"""A due callback (from schedule_callback) is placed once through the ElevenLabs SDK."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from pydantic import SecretStr

from memory import (
    create_next_action,
    find_customer_by_phone,
    get_or_create_customer,
    list_next_actions,
    update_profile,
)
from server.jobs.actions import place_due_callbacks
from tests.channels.fake_elevenlabs import FakeElevenLabs
from tests.channels.test_elevenlabs import post_call_payload
from tests.waiting import wait_until, wait_until_drained


@pytest.fixture
def fake_elevenlabs():
    fake = FakeElevenLabs().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio_settings(twilio_settings, fake_elevenlabs):
    return twilio_settings.model_copy(
        update={
            "elevenlabs_api_key": SecretStr("xi-test"),
            "elevenlabs_agent_id": "agent_x",
            "elevenlabs_phone_number_id": "pn_x",
            "elevenlabs_base_url": fake_elevenlabs.base_url,
        }
    )


async def test_due_callback_is_placed_once_with_the_customer_context(services, fake_elevenlabs):
    memory = services.memory
    ana = await get_or_create_customer(memory, "+573001112233", name="Ana")
    await create_next_action(
        memory,
        ana.id,
        "Llamar: pidió que la llamen",
        type="call",
        due_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    await create_next_action(
        memory,
        ana.id,
        "Llamar más tarde",
        type="call",
        due_at=datetime.now(UTC) + timedelta(hours=3),
    )
    assert await place_due_callbacks() == 1
    assert await place_due_callbacks() == 0  # claimed: never placed twice
    [(kind, body)] = fake_elevenlabs.requests
    assert kind == "outbound-call" and body["to_number"] == "+573001112233"
    assert body["agent_id"] == "agent_x" and body["agent_phone_number_id"] == "pn_x"
    variables = body["conversation_initiation_client_data"]["dynamic_variables"]
    assert variables["customer_name"] == "Ana" and "llamen" in variables["callback_reason"]
    statuses = sorted(a.status for a in await list_next_actions(memory, ana.id, open_only=False))
    assert statuses == ["done", "open"]


async def test_no_callback_is_placed_to_a_customer_who_declined_calls(services, fake_elevenlabs):
    memory = services.memory
    ana = await get_or_create_customer(memory, "+573001112233", name="Ana")
    await update_profile(memory, ana.id, {"calls": "declined"})
    await create_next_action(
        memory, ana.id, "Llamar: seguimiento", type="call", due_at=datetime.now(UTC)
    )
    assert await place_due_callbacks() == 0
    assert fake_elevenlabs.requests == []
    [action] = await list_next_actions(memory, ana.id, open_only=False)
    assert action.status == "cancelled" and "no recibir llamadas" in action.description


async def hilo_calls(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`hilo calls …` in a process of its own, awaited: this process's worker keeps running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "calls", *args,
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def _submit(csv_file, memory, fake_elevenlabs, tmp_path):
    env = {
        "DATABASE_URL": memory.url,
        "HILO_DATA_DIR": str(tmp_path),
        "ELEVENLABS_API_KEY": "xi-test",
        "ELEVENLABS_AGENT_ID": "agent_x",
        "ELEVENLABS_PHONE_NUMBER_ID": "pn_x",
        "ELEVENLABS_BASE_URL": fake_elevenlabs.base_url,
    }
    return await hilo_calls("submit", str(csv_file), env=env)


async def test_calls_submit_leaves_out_who_declined_calls_and_a_bad_line_writes_nothing(
    twilio_settings, fake_elevenlabs, memory, tmp_path
):
    luis = await get_or_create_customer(memory, "+573009998877", name="Luis")
    await update_profile(memory, luis.id, {"calls": "declined"})
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,name\n+57 300 111 2233,Ana\nnot-a-phone,Pedro\n")
    result = await _submit(bad, memory, fake_elevenlabs, tmp_path)
    assert result.returncode == 2 and "line 3" in " ".join((result.stdout + result.stderr).split())
    assert await find_customer_by_phone(memory, "+573001112233") is None  # nothing half-done
    assert fake_elevenlabs.requests == []
    good = tmp_path / "good.csv"
    good.write_text("phone,name\n+57 300 111 2233,Ana\n3009998877,Luis\n")
    result = await _submit(good, memory, fake_elevenlabs, tmp_path)
    assert result.returncode == 0, result.stderr
    [(kind, body)] = fake_elevenlabs.requests
    assert [r["phone_number"] for r in body["recipients"]] == ["+573001112233"]
    assert "asked not to be called" in result.stdout and "8877" in result.stdout


async def test_calls_submit_sends_recipients_with_variables_from_memory(
    twilio_settings, fake_elevenlabs, memory, tmp_path
):
    from memory import CallRecord, CallTurn, save_call

    await save_call(
        memory,
        CallRecord(
            "conv_prev",
            "+573001112233",
            [CallTurn("customer", "Quiero paneles"), CallTurn("agent", "Te envío la cotización")],
            datetime.now(UTC),
            summary="Quiere paneles solares.",
        ),
    )
    csv_file = tmp_path / "recipients.csv"
    csv_file.write_text("phone,name,plan\n+57 300 111 2233,Ana,premium\n3009998877,Luis,\n")
    result = await _submit(csv_file, memory, fake_elevenlabs, tmp_path)
    assert result.returncode == 0, result.stderr
    [(kind, body)] = fake_elevenlabs.requests
    assert kind == "batch" and body["agent_id"] == "agent_x"
    ana, luis = body["recipients"]
    assert ana["phone_number"] == "+573001112233" and luis["phone_number"] == "+573009998877"
    ana_vars = ana["conversation_initiation_client_data"]["dynamic_variables"]
    assert ana_vars["last_summary"] == "Quiere paneles solares." and ana_vars["plan"] == "premium"


async def test_calls_sync_ingests_finished_conversations_once(
    services, fake_elevenlabs, twilio_settings, tmp_path
):
    data = post_call_payload("conv_synced")["data"]
    fake_elevenlabs.conversations["conv_synced"] = data
    url = services.memory.url
    env = {
        "DATABASE_URL": url,
        "HILO_DATA_DIR": str(tmp_path),
        "ELEVENLABS_API_KEY": "xi-test",
        "ELEVENLABS_AGENT_ID": "agent_x",
        "ELEVENLABS_BASE_URL": fake_elevenlabs.base_url,
    }
    for _ in range(2):
        result = await hilo_calls("sync", env=env)
        assert result.returncode == 0, result.stderr
    assert "0 new" in result.stdout

    async def calls() -> int:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            row = await (
                await conn.execute(
                    "SELECT count(*) FROM interactions WHERE channel='call' AND "
                    "external_id='conv_synced'"
                )
            ).fetchone()
        assert row is not None
        return row[0]

    async def ingested():
        return await calls() == 1

    await wait_until(ingested, timeout=30)
    await wait_until_drained(url)  # every ingest job ran: a duplicate would be stored by now
    assert await calls() == 1
