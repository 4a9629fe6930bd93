"""Out-of-range dates on every edge — the operator API, the dashboard form, the live tools, the
post-call webhook — are answered 422 and store nothing; a stored date outside the range (an
older row) breaks no page, API answer, call start or live tool of that customer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from channels.elevenlabs import sign_elevenlabs
from memory import create_next_action, get_or_create_customer
from tests.channels.test_elevenlabs import post_call_payload
from tests.dashboard.conftest import csrf_of

PHONE = "+573001112233"
SECRET = "wsec_test_not_a_secret"
TOOLS = {"X-Hilo-Secret": "tools-secret-for-tests"}
BAD_DUE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:00-05:00", "1850-01-01T00:00:00Z"]


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(
        update={
            "elevenlabs_webhook_secret": SecretStr(SECRET),
            "tools_secret": SecretStr(TOOLS["X-Hilo-Secret"]),
        }
    )


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


async def customer_id(services: Any) -> int:
    return (await get_or_create_customer(services.memory, PHONE, name="Ana")).id


@pytest.mark.parametrize("due", BAD_DUE)
async def test_api_refuses_an_out_of_range_due_date_and_stores_nothing(api, services, due):
    cid = await customer_id(services)
    answer = await api.post(
        f"/api/customers/{cid}/next-actions", json={"description": "Llamar", "due_at": due}
    )
    assert answer.status_code == 422, answer.text
    assert count(services.memory.url, "SELECT count(*) FROM next_actions") == 0


async def test_api_refuses_a_due_date_without_an_offset(api, services):
    cid = await customer_id(services)
    answer = await api.post(
        f"/api/customers/{cid}/next-actions",
        json={"description": "Llamar", "due_at": "2026-12-01T10:00:00"},
    )
    assert answer.status_code == 422 and "offset" in answer.text


@pytest.mark.parametrize("due", BAD_DUE[:2])
async def test_api_refuses_to_reschedule_out_of_range(api, services, due):
    cid = await customer_id(services)
    made = await api.post(
        f"/api/customers/{cid}/next-actions",
        json={"description": "Llamar", "due_at": "2026-12-01T10:00:00-05:00"},
    )
    action_id = made.json()["next_action"]["id"]
    moved = await api.patch(f"/api/customers/{cid}/next-actions/{action_id}", json={"due_at": due})
    assert moved.status_code == 422
    [kept] = (await api.get(f"/api/customers/{cid}/next-actions")).json()["next_actions"]
    assert kept["due_at"].startswith("2026-12-01T15:00")


@pytest.mark.parametrize("due", ["9999-12-31T23:59", "0001-01-01T00:00"])
async def test_dashboard_form_refuses_an_out_of_range_due_date(browser_session, services, due):
    cid = await customer_id(services)
    page = await browser_session.get(f"/customers/{cid}")
    answer = await browser_session.post(
        f"/customers/{cid}/actions",
        data={"description": "Llamar", "due_at": due, "csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 422
    assert count(services.memory.url, "SELECT count(*) FROM next_actions") == 0


@pytest.mark.parametrize(
    "tool, args",
    [
        ("schedule_callback", {"when": "9999-12-31T23:59:00", "reason": "cotización"}),
        ("schedule_callback", {"when": "0001-01-01T00:00:00+14:00", "reason": "cotización"}),
        ("update_next_action", {"description": "Enviar cotización", "due": "9999-12-31"}),
    ],
)
async def test_live_tools_refuse_an_out_of_range_date_and_store_nothing(
    client, services, tool, args
):
    await customer_id(services)
    answer = await client.post(
        f"/elevenlabs/tools/{tool}", json={"caller_id": PHONE, **args}, headers=TOOLS
    )
    assert answer.status_code == 422, answer.text
    assert count(services.memory.url, "SELECT count(*) FROM next_actions") == 0
    assert count(services.memory.url, "SELECT count(*) FROM customers WHERE profile ? 'calls'") == 0


@pytest.mark.parametrize("start", [10**12, -(10**12), 1e300, "mañana", 60])
async def test_post_call_with_a_start_time_out_of_range_is_refused(client, services, start):
    payload = post_call_payload()
    payload["data"]["metadata"]["start_time_unix_secs"] = start
    raw = json.dumps(payload).encode()
    answer = await client.post(
        "/webhooks/elevenlabs/post-call",
        content=raw,
        headers={"ElevenLabs-Signature": sign_elevenlabs(raw, SECRET)},
    )
    assert answer.status_code == 422, answer.text
    assert count(services.memory.url, "SELECT count(*) FROM webhook_events") == 0


@pytest.fixture
async def stored_far_dates(services: Any) -> int:
    """A customer whose next actions were stored, before the range existed, at year 1, year
    9999 and infinity (written behind Hilo's back: Hilo itself refuses them now)."""
    cid = await customer_id(services)
    for stored in ("0001-01-01 00:00:00+14", "9999-12-31 23:59:00-05", "infinity"):
        action = await create_next_action(services.memory, cid, f"Vence {stored}")
        with psycopg.connect(services.memory.url) as conn:
            conn.execute(
                "UPDATE next_actions SET due_at = %s::timestamptz WHERE id = %s",
                (stored, action.id),
            )
    return cid


async def test_stored_far_dates_break_no_api_answer(api, stored_far_dates):
    cid = stored_far_dates
    for path in (
        "/api/next-actions",
        f"/api/customers/{cid}",
        f"/api/customers/{cid}/next-actions",
    ):
        answer = await api.get(path)
        assert answer.status_code == 200, (path, answer.text)


@pytest.mark.parametrize("page", ["/actions", "/", "/customers/{cid}"])
async def test_stored_far_dates_break_no_page(browser_session, stored_far_dates, page):
    answer = await browser_session.get(page.format(cid=stored_far_dates))
    assert answer.status_code == 200


async def test_stored_far_dates_break_neither_call_start_nor_live_tools(
    client: httpx.AsyncClient, stored_far_dates
):
    start = await client.post(
        "/webhooks/elevenlabs/conversation-init", json={"caller_id": PHONE}, headers=TOOLS
    )
    assert start.status_code == 200, start.text
    context = await client.post(
        "/elevenlabs/tools/get_customer_context", json={"caller_id": PHONE}, headers=TOOLS
    )
    assert context.status_code == 200 and len(context.json()["next_actions"]) == 3
