"""Every dashboard page fits a phone: in Debian's Chromium, at 360, 390 and 414 px wide, no page
is wider than the screen (`scrollWidth > innerWidth` is the horizontal scroll a phone shows).
The same run takes the README's screenshots, desktop and 390 px (`HILO_SCREENSHOTS=docs`
writes them into docs/).

The thread is built through the real code: a stored call with its follow-up, a WhatsApp
exchange answered by the worker, a callback asked for on WhatsApp and moved by an operator (it
reads its new day), next actions (one overdue, one for an opted-out customer), an escalation
taken by an operator and a reply."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from memory import create_next_action, get_or_create_customer, list_next_actions, set_opted_out
from tests.channels.conftest import inbound_form, post_signed
from tests.channels.fake_twilio import FakeTwilio
from tests.dashboard.conftest import EMAIL, PASSWORD
from tests.dashboard.test_api import PHONE as ANA
from tests.dashboard.test_api import customer_with_call_and_chat
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, NO_BROWSER, served  # noqa: F401
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium is not installed"),
]
PHONE_WIDTHS = (360, 390, 414)
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


async def _thread(
    client: httpx.AsyncClient, api: httpx.AsyncClient, services: Any, fake: Any
) -> int:
    customer_id = await customer_with_call_and_chat(client, services, fake)
    memory = services.memory
    await _moved_callback(client, api, services, fake, customer_id)
    await create_next_action(
        memory,
        customer_id,
        "Confirmar la fecha de instalación de los paneles en la bodega de la calle 80",
        type="call",
        due_at=datetime.now(UTC) - timedelta(hours=3),
        created_by="call_analysis",
    )
    other = await get_or_create_customer(memory, "+573009998877")
    await set_opted_out(memory, other.id, True)
    await create_next_action(
        memory,
        other.id,
        "Enviar la propuesta revisada",
        due_at=datetime.now(UTC) + timedelta(days=2),
    )
    escalation = await api.post(
        f"/api/customers/{customer_id}/escalations",
        json={"reason": "Quiere negociar el precio con una persona", "priority": "high"},
    )
    assert escalation.status_code == 201, escalation.text
    escalation_id = escalation.json()["escalation"]["id"]
    assert (await api.post(f"/api/escalations/{escalation_id}/take")).status_code == 200
    reply = await api.post(
        f"/api/escalations/{escalation_id}/reply",
        json={"text": "Hola Ana, soy Laura. Reviso el descuento y te confirmo hoy."},
    )
    assert reply.status_code == 201, reply.text
    return customer_id


async def _moved_callback(
    client: httpx.AsyncClient, api: httpx.AsyncClient, services: Any, fake: Any, customer_id: int
) -> None:
    """A callback the customer asks for on WhatsApp ("mañana en la mañana"), moved by an
    operator to tomorrow at 15:00: the board reads the new day and time."""
    form = inbound_form("SM" + "b" * 32, "¿Me pueden llamar mañana en la mañana?", ANA)
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200

    async def _asked() -> bool:
        return any(a.type == "call" for a in await list_next_actions(services.memory, customer_id))

    await wait_until(_asked)
    (callback,) = [
        a for a in await list_next_actions(services.memory, customer_id) if a.type == "call"
    ]
    zone = ZoneInfo(services.settings.timezone)
    tomorrow = datetime.now(zone) + timedelta(days=1)
    moved = await api.patch(
        f"/api/customers/{customer_id}/next-actions/{callback.id}",
        json={"due_at": tomorrow.replace(hour=15, minute=0, second=0, microsecond=0).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["next_action"]["description"].endswith("a las 15:00")


async def test_no_page_is_wider_than_a_phone_and_the_screenshots_are_taken(
    served: str,  # noqa: F811
    client: httpx.AsyncClient,
    api: httpx.AsyncClient,
    services: Any,
    operator: Any,
    fake_twilio: FakeTwilio,
    tmp_path: Path,
) -> None:
    from playwright.async_api import async_playwright

    customer_id = await _thread(client, api, services, fake_twilio)
    pages = ["/", "/escalations", f"/customers/{customer_id}", "/actions", "/failed"]
    shots = {
        "dashboard-customer.png": (f"/customers/{customer_id}", DESKTOP),
        "dashboard-phone.png": (f"/customers/{customer_id}", PHONE),
        "dashboard-actions.png": ("/actions", DESKTOP),
        "dashboard-actions-phone.png": ("/actions", PHONE),
    }
    too_wide: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=DESKTOP)
        try:
            await page.goto(served + "/login")
            await page.fill("input[name=email]", EMAIL)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(served + "/")
            for width in PHONE_WIDTHS:
                await page.set_viewport_size({"width": width, "height": 800})
                for path in [*pages, "/login"]:
                    await page.goto(served + path)
                    wide = await page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth"
                    )
                    if wide > 0:
                        too_wide.append(f"{path} at {width} px: {wide} px too wide")
            for name, (path, viewport) in shots.items():
                await page.set_viewport_size(viewport)
                await page.goto(served + path)
                await page.wait_for_load_state("networkidle")
                await page.screenshot(path=str(tmp_path / name))
                assert (tmp_path / name).stat().st_size > 10_000, name
        finally:
            await browser.close()
    if os.environ.get("HILO_SCREENSHOTS"):
        target = Path(os.environ["HILO_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for name in shots:
            shutil.copy(tmp_path / name, target / name)
    assert too_wide == []
