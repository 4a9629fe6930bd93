"""Hostile customers in a real browser (Debian's Chromium through Playwright): signed WhatsApp
messages and a call whose customer names, texts, tool arguments and media links carry attribute
breakouts, `<script>`, `<img onerror>` and `javascript:` links. Every dashboard page, and the
live updates that swap its regions, opens with no dialog, nothing injected into the DOM, no
Content-Security-Policy violation (the pages need nothing the policy forbids) and the policy
header on every document."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.channels.fake_twilio import FakeTwilio
from tests.dashboard.conftest import EMAIL, PASSWORD
from tests.dashboard.hostile import (
    ATTRIBUTES,
    MARKUP,
    QUOTED_BREAKOUT,
    STATIC_SCRIPTS,
    TAGS,
    customer_pages,
    post_hostile_thread,
    post_whatsapp,
    twilio_settings,  # noqa: F401 - the fixture, with a post-call webhook secret
)
from tests.dashboard.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    served,  # noqa: F401 - the app on a loopback port
)
from tests.dashboard.test_browser import pytestmark as browser_marks

pytestmark = browser_marks

# What the page's DOM holds that the templates never write (run in the page).
DOM_AUDIT = """([tags, attributes, scripts]) => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (!tags.includes(tag)) found.push("<" + tag + ">");
    for (const { name, value } of el.attributes) {
      const login = tag === "input" && el.getAttribute("name") === "email";
      if (name.startsWith("on")) found.push(tag + " " + name + "=" + value);
      else if (name === "autofocus" && !login) found.push(tag + " autofocus");
      else if (!attributes.includes(name) && !name.startsWith("data-")) {
        found.push(tag + " " + name);
      }
    }
    if (tag === "script" && !scripts.includes(el.getAttribute("src"))) found.push("script");
    if (tag === "a" && !/^(\\/(?!\\/)|https:\\/\\/)/.test(el.getAttribute("href") || "/")) {
      found.push("a href=" + el.getAttribute("href"));
    }
  }
  return found;
}"""
# Every handler a breakout could add, fired on every element (no clicks: links would navigate).
PROVOKE = """() => {
  for (const el of document.querySelectorAll("*")) {
    for (const type of ["focus", "mouseover", "mouseenter", "pointerover", "error", "load"]) {
      el.dispatchEvent(new Event(type));
    }
  }
}"""
VIOLATIONS = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(e.violatedDirective + " " + e.blockedURI));"""


async def test_hostile_customers_run_nothing_in_the_dashboard(
    served: str,  # noqa: F811
    operator: Any,
    fake_twilio: FakeTwilio,
    services: Any,
) -> None:
    from playwright.async_api import async_playwright, expect

    http = httpx.AsyncClient(base_url=served, timeout=20)
    await post_hostile_thread(http, fake_twilio, services.memory.url)
    customers = customer_pages(services.memory.url)
    dialogs: list[str] = []
    findings: dict[str, list[str]] = {}
    policies: dict[str, str | None] = {}

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
        await page.add_init_script(VIOLATIONS)

        async def visit(path: str) -> None:
            response = await page.goto(served + path)
            assert response is not None
            policies[path] = response.headers.get("content-security-policy")
            await provoke()

        async def provoke() -> None:
            """Focus and hover everything, as an operator reading the page would."""
            for _ in range(12):
                await page.keyboard.press("Tab")
            await page.evaluate(PROVOKE)
            await page.wait_for_timeout(300)
            found = await page.evaluate(
                DOM_AUDIT, [sorted(TAGS), sorted(ATTRIBUTES), sorted(STATIC_SCRIPTS)]
            )
            found += await page.evaluate("window.__violations")
            findings[page.url] = findings.get(page.url, []) + found

        async def live(region: str, sid: str) -> None:
            """A new hostile message arrives while the page is open: the region is swapped."""
            text = f"Mensaje {sid[-4:]} {QUOTED_BREAKOUT}{MARKUP}"
            await post_whatsapp(http, sid, text)
            await expect(page.locator(region)).to_contain_text(f"Mensaje {sid[-4:]}", timeout=20000)
            await provoke()

        try:
            await page.goto(served + "/login?next=/")
            await page.fill("input[name=email]", EMAIL)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await expect(page.locator("h1")).to_have_text("Conversaciones")
            for path in ("/", "/escalations", "/actions", customers["call"], customers["chat"]):
                await visit(path)
            await live("#live-timeline", "SM" + "4" * 32)
            await visit("/escalations")
            await live("#live-queue", "SM" + "5" * 32)
            await visit("/")
            await live("#live-conversations", "SM" + "6" * 32)
        finally:
            await browser.close()
            await http.aclose()

    assert dialogs == []
    assert {url: found for url, found in findings.items() if found} == {}
    assert {path: policy for path, policy in policies.items() if not policy} == {}
    assert all("script-src 'self';" in policy for policy in policies.values() if policy)
