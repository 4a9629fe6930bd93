"""The operator API and pages: nothing answers without a signed-in operator; an operator finds
customers, reads the whole cross-channel thread, works next actions and escalations, and a
reply is sent once and stored as a person's message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from agent.ingest import ingest_call
from channels.elevenlabs import call_record
from memory import find_customer_by_phone, timeline
from server.app import create_app
from server.jobs.whatsapp import queued_outbox
from tests.channels.conftest import inbound_form, post_signed
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.test_elevenlabs import post_call_payload
from tests.dashboard.conftest import csrf_of
from tests.waiting import wait_until, wait_until_drained

PHONE = "+573001112233"
# /media/voice/: Twilio fetches a voice reply by its unguessable one-time token, no login.
# /v1/: the Custom LLM endpoint, behind its own bearer secret and call token (tests/voice).
PUBLIC = (
    "/healthz", "/readyz", "/metrics", "/webhooks/", "/elevenlabs/", "/login", "/static",
    "/favicon.ico", "/media/voice/", "/v1/",
)  # fmt: skip
DOCS = ("/docs", "/redoc", "/openapi.json")


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, including those of included routers."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute):
                found.extend((m, route.path) for m in route.methods if m != "HEAD")
            elif isinstance(route, Mount):
                continue
            elif hasattr(route, "methods"):
                found.extend((m, route.path) for m in route.methods if m != "HEAD")

    walk(app.routes)
    return found


async def test_every_operator_route_refuses_without_authentication(
    client: httpx.AsyncClient, services: Any
) -> None:
    routes = [
        (m, p)
        for m, p in app_routes(create_app(services=services))
        if not p.startswith(PUBLIC + DOCS)
    ]
    assert len(routes) >= 25, routes  # the API and the dashboard are all in the list
    for method, path in routes:
        url = path.replace("{customer_id}", "1").replace("{escalation_id}", "1")
        url = url.replace("{action_id}", "1").replace("{token_id}", "1")
        response = await client.request(method, url, json={}, follow_redirects=False)
        if path.startswith("/api"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next="), (method, path)


async def customer_with_call_and_chat(
    client: httpx.AsyncClient, services: Any, fake_twilio: FakeTwilio
) -> int:
    """A customer built through the real code: a stored call (the post-call job's path), the
    follow-up (the approved template: the customer has not written yet), and a WhatsApp
    message answered by the worker."""
    services.settings = services.settings.model_copy(
        update={"twilio_followup_content_sid": "HX" + "1" * 32}
    )
    await ingest_call(
        services.memory,
        call_record(post_call_payload("conv_api", PHONE)),
        model=services.agent.model,
        sender=queued_outbox(services.memory),
    )
    await wait_until(lambda: _count(fake_twilio, 1))
    form = inbound_form("SM" + "a" * 32, "¿Me recuerdas cuánto te dije que podíamos pagar?", PHONE)
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until(lambda: _count(fake_twilio, 2))
    customer = await find_customer_by_phone(services.memory, PHONE)
    assert customer is not None
    return customer.id


async def _count(fake: FakeTwilio, n: int) -> bool:
    return len(fake.messages) >= n


async def test_operator_finds_the_customer_and_reads_the_whole_thread(
    client: httpx.AsyncClient, api: httpx.AsyncClient, services: Any, fake_twilio: FakeTwilio
) -> None:
    customer_id = await customer_with_call_and_chat(client, services, fake_twilio)
    by_phone = (await api.get("/api/customers", params={"q": "300 111 2233"})).json()["customers"]
    by_name = (await api.get("/api/customers", params={"q": "ana"})).json()["customers"]
    assert [c["id"] for c in by_phone] == [customer_id] == [c["id"] for c in by_name]
    assert by_phone[0]["state"] == "active"
    escalated = (await api.get("/api/customers", params={"state": "escalated"})).json()
    assert escalated["customers"] == []
    assert (await api.get("/api/customers", params={"state": "nonsense"})).status_code == 422

    profile = (await api.get(f"/api/customers/{customer_id}")).json()
    assert profile["name"] == "Ana" and profile["phone"] == PHONE
    assert profile["last_call"]["summary"] and profile["whatsapp_window_open"] is True
    items = (await api.get(f"/api/customers/{customer_id}/timeline")).json()
    kinds = [i["kind"] for i in items["items"]]
    assert kinds.count("call_turn") == 7 and "whatsapp" in kinds
    reply = [i for i in items["items"] if i["role"] == "agent" and i["kind"] == "whatsapp"][-1]
    assert "recall_conversations" in [t["name"] for t in reply["tool_calls"]]
    await wait_until(lambda: _delivery_known(api, customer_id))
    assert items["insights"], "the call's analysis explains what the AI knows"
    assert (await api.get("/api/customers/999999")).status_code == 404


async def _delivery_known(api: httpx.AsyncClient, customer_id: int) -> bool:
    items = (await api.get(f"/api/customers/{customer_id}/timeline")).json()["items"]
    outbound = [i for i in items if i["direction"] == "outbound" and i["kind"] == "whatsapp"]
    return bool(outbound) and all(i["delivery_status"] not in (None, "pending") for i in outbound)


async def test_next_actions_are_added_completed_and_rescheduled(
    client: httpx.AsyncClient, api: httpx.AsyncClient, services: Any, fake_twilio: FakeTwilio
) -> None:
    customer_id = await customer_with_call_and_chat(client, services, fake_twilio)
    made = await api.post(
        f"/api/customers/{customer_id}/next-actions",
        json={
            "description": "Enviar la cotización con inversor",
            "due_at": "2026-12-01T10:00:00-05:00",
        },
    )
    assert made.status_code == 201
    action = made.json()["next_action"]
    assert action["created_by"] == "operator:laura@solandino.co"
    moved = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{action['id']}",
        json={"due_at": "2026-12-02T09:30:00-05:00"},
    )
    assert moved.json()["next_action"]["due_at"].startswith("2026-12-02T14:30")
    naive = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{action['id']}",
        json={"due_at": "2026-12-02T09:30:00"},
    )
    assert naive.status_code == 422
    board = (await api.get("/api/next-actions")).json()["next_actions"]
    assert action["id"] in [a["id"] for a in board]
    done = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{action['id']}", json={"status": "done"}
    )
    assert done.json()["next_action"]["status"] == "done"
    board = (await api.get("/api/next-actions")).json()["next_actions"]
    assert action["id"] not in [a["id"] for a in board]
    other = await api.patch(
        f"/api/customers/{customer_id + 1}/next-actions/{action['id']}", json={}
    )
    assert other.status_code == 404  # another customer's path cannot touch it


async def test_escalation_take_reply_once_and_resolve(
    client: httpx.AsyncClient, api: httpx.AsyncClient, services: Any, fake_twilio: FakeTwilio
) -> None:
    customer_id = await customer_with_call_and_chat(client, services, fake_twilio)
    form = inbound_form(
        "SM" + "b" * 32, "Esto es un desastre, quiero hablar con una persona", PHONE
    )
    await post_signed(client, "/webhooks/twilio/whatsapp", form)
    await wait_until(lambda: _count(fake_twilio, 3))  # the acknowledgement
    queue = (await api.get("/api/escalations")).json()["escalations"]
    assert len(queue) == 1 and queue[0]["customer_id"] == customer_id
    assert queue[0]["status"] == "open" and queue[0]["waiting_seconds"] >= 0
    assert "desastre" in queue[0]["last_customer_message"]
    escalation_id = queue[0]["escalation_id"]
    assert (await api.get("/api/customers", params={"state": "escalated"})).json()["customers"]

    taken = (await api.post(f"/api/escalations/{escalation_id}/take")).json()["escalation"]
    assert taken["status"] == "assigned" and taken["assignee"] == "laura@solandino.co"
    body = {"text": "Hola Ana, soy Laura. Ya revisé tu caso y te llamo en 10 minutos."}
    headers = {"Idempotency-Key": "reply-1"}
    first = await api.post(f"/api/escalations/{escalation_id}/reply", json=body, headers=headers)
    second = await api.post(f"/api/escalations/{escalation_id}/reply", json=body, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["message"]["id"] == second.json()["message"]["id"]
    await wait_until(lambda: _count(fake_twilio, 4))
    await wait_until_drained(services.memory.url)  # a second send would have run
    assert [m.get("Body") for m in fake_twilio.messages].count(body["text"]) == 1
    humans = [m for m in await timeline(services.memory, customer_id) if m.role == "human"]
    assert len(humans) == 1 and humans[0].meta["operator"] == "laura@solandino.co"
    empty = await api.post(f"/api/escalations/{escalation_id}/reply", json={"text": ""})
    assert empty.status_code == 422

    resolved = await api.post(
        f"/api/escalations/{escalation_id}/resolve", json={"resolution": "llamada hecha"}
    )
    assert resolved.json()["escalation"]["status"] == "resolved"
    again = await api.post(f"/api/escalations/{escalation_id}/resolve")
    assert again.status_code == 409
    assert (await api.get("/api/escalations")).json()["escalations"] == []
    assert (await api.post("/api/escalations/999999/take")).status_code == 404


async def test_operator_opens_an_escalation_and_the_ai_goes_silent(
    client: httpx.AsyncClient, api: httpx.AsyncClient, services: Any, fake_twilio: FakeTwilio
) -> None:
    customer_id = await customer_with_call_and_chat(client, services, fake_twilio)
    made = await api.post(
        f"/api/customers/{customer_id}/escalations",
        json={"reason": "Cliente VIP", "priority": "high"},
    )
    assert made.status_code == 201 and made.json()["escalation"]["opened_by"].startswith(
        "operator:"
    )
    same = await api.post(f"/api/customers/{customer_id}/escalations", json={"reason": "otra"})
    assert same.status_code == 200 and same.json()["created"] is False
    sent = len(fake_twilio.messages)
    form = inbound_form("SM" + "c" * 32, "¿Cuánto cuesta el inversor?", PHONE)
    await post_signed(client, "/webhooks/twilio/whatsapp", form)
    await wait_until(lambda: _stored(services, customer_id, "¿Cuánto cuesta el inversor?"))
    await wait_until_drained(services.memory.url)  # the turn ran: an AI reply would be sent
    assert len(fake_twilio.messages) == sent  # people own the thread: no AI reply


async def _stored(services: Any, customer_id: int, text: str) -> bool:
    return any(m.text == text for m in await timeline(services.memory, customer_id))


async def test_reply_outside_the_24h_window_goes_as_the_approved_template(
    api: httpx.AsyncClient, services: Any, fake_twilio: FakeTwilio
) -> None:
    services.settings = services.settings.model_copy(
        update={"twilio_followup_content_sid": "HX" + "1" * 32}
    )
    await ingest_call(  # a call only: the customer never wrote, so the window is closed
        services.memory,
        call_record(post_call_payload("conv_window", PHONE)),
        model=services.agent.model,
        sender=queued_outbox(services.memory),
    )
    customer = await find_customer_by_phone(services.memory, PHONE)
    assert customer is not None
    profile = (await api.get(f"/api/customers/{customer.id}")).json()
    assert profile["whatsapp_window_open"] is False
    await api.post(f"/api/customers/{customer.id}/messages", json={"text": "Hola Ana, soy Laura."})
    await wait_until(lambda: _count(fake_twilio, 2))
    human = fake_twilio.messages[-1]
    assert (
        human["ContentSid"] == "HX" + "1" * 32
        and "Hola Ana, soy Laura." in human["ContentVariables"]
    )


@pytest.mark.parametrize("page", ["/", "/escalations", "/actions"])
async def test_pages_render_for_a_signed_in_operator(
    browser_session: httpx.AsyncClient, page: str
) -> None:
    response = await browser_session.get(page)
    assert response.status_code == 200 and "Laura" in response.text


async def test_dashboard_reply_form_sends_once_with_csrf(
    client: httpx.AsyncClient,
    browser_session: httpx.AsyncClient,
    services: Any,
    fake_twilio: FakeTwilio,
) -> None:
    customer_id = await customer_with_call_and_chat(client, services, fake_twilio)
    page = await browser_session.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert "Unos 500 mil pesos" in page.text and "recall_conversations" in page.text
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
    data = {"text": "Te escribe Laura del equipo.", "request_id": request_id}
    forged = await browser_session.post(
        f"/customers/{customer_id}/reply", data={**data, "csrf_token": "x"}
    )
    assert forged.status_code == 403
    data["csrf_token"] = csrf_of(page.text)
    for _ in range(2):  # a double submit
        response = await browser_session.post(f"/customers/{customer_id}/reply", data=data)
        assert response.status_code == 303
    await wait_until(lambda: _count(fake_twilio, 3))
    await wait_until_drained(services.memory.url)  # a second send would have run
    assert [m.get("Body") for m in fake_twilio.messages].count("Te escribe Laura del equipo.") == 1
