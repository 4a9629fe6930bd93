"""The dashboard in a real browser (Debian's Chromium through Playwright) against the app served
over HTTP: sign in, an escalation triggered by a signed WhatsApp webhook appears live in the
queue, take it, reply, see the customer's next message arrive live, resolve and hand back."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from server.app import create_app
from tests.channels.conftest import inbound_form, twilio_signature
from tests.channels.fake_twilio import FakeTwilio
from tests.dashboard.conftest import EMAIL, PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Without Chromium the browser tests are skipped on a developer's machine; CI sets
# HILO_REQUIRE_BROWSER=1 (.ci/run), and there they run and fail instead of being skipped.
NO_BROWSER = not Path(CHROMIUM).exists() and os.environ.get("HILO_REQUIRE_BROWSER") != "1"
PHONE = "+573001112233"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium is not installed"),
]


@pytest.fixture
async def served(services: Any) -> AsyncIterator[str]:
    """The app on a real loopback port (the browser needs HTTP and server-sent events)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services=services), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


async def whatsapp(base: str, sid: str, text: str) -> None:
    form = inbound_form(sid, text, PHONE)
    url = base + "/webhooks/twilio/whatsapp"
    async with httpx.AsyncClient() as http:
        r = await http.post(
            url, data=form, headers={"X-Twilio-Signature": twilio_signature(url, form)}
        )
    assert r.status_code == 200


async def test_operator_sees_an_escalation_live_replies_and_hands_back(
    served: str, operator: Any, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        try:
            await page.goto(served + "/escalations")
            assert "/login" in page.url
            await page.fill("input[name=email]", EMAIL)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await expect(page.locator("h1")).to_have_text("Escalaciones")
            await expect(page.locator("#live-queue")).to_contain_text("Nadie espera")

            # The customer asks for a person on WhatsApp; the queue shows it without a reload.
            await whatsapp(served, "SM" + "e" * 32, "Necesito hablar con una persona, por favor")
            await expect(page.locator("#live-queue")).to_contain_text("Ana", timeout=20000)
            await expect(page.locator("#live-queue")).to_contain_text("Sin tomar")

            await page.click("#live-queue button:has-text('Tomar')")
            await expect(page.locator("#live-side")).to_contain_text("tomada por " + EMAIL)
            await page.fill("textarea[name=text]", "Hola Ana, soy Laura. Te ayudo con tu pedido.")
            await page.click("form.reply button[type=submit]")
            await expect(page.locator("#live-timeline")).to_contain_text("soy Laura")
            assert any(
                m.get("Body", "").startswith("Hola Ana, soy Laura") for m in fake_twilio.messages
            )

            # The customer answers; the operator's page shows it live.
            await whatsapp(served, "SM" + "f" * 32, "Gracias Laura, el pedido es el 4521")
            await expect(page.locator("#live-timeline")).to_contain_text(
                "pedido es el 4521", timeout=20000
            )
            shot = tmp_path / "dashboard.png"  # the README's come from test_browser_layout.py
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000

            await page.click("text=Resolver y devolver a la IA")
            await expect(page.locator("#live-side")).to_contain_text("La IA atiende")
            await page.goto(served + "/escalations")
            await expect(page.locator("#live-queue")).to_contain_text("Nadie espera")
        finally:
            await browser.close()
