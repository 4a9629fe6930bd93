"""Every dashboard page, served over HTTP with hostile values in every field a customer or a
service controls (names, message bodies, media links, tool arguments, escalation reasons, next
actions, call summaries and turns, delivery errors, reflected query parameters), reads as text:
no handler, no injected attribute or tag, no foreign script, no `javascript:` link."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.channels.fake_twilio import FakeTwilio
from tests.dashboard.conftest import sign_in
from tests.dashboard.hostile import (
    BARE_BREAKOUT,
    CHAT_NAME,
    HTTPS_MEDIA,
    JAVASCRIPT_URL,
    MARKUP,
    QUOTED_BREAKOUT,
    audit,
    customer_pages,
    header_problems,
    links,
    post_hostile_thread,
    twilio_settings,  # noqa: F401 - the fixture, with a post-call webhook secret
)

HOSTILE_QUERY = f"{QUOTED_BREAKOUT}{MARKUP}"[:100]


@pytest.fixture
async def pages(
    client: httpx.AsyncClient, operator: Any, fake_twilio: FakeTwilio, services: Any
) -> dict[str, httpx.Response]:
    """Every page, fetched as a browser would (and as live.js re-reads them), after the
    hostile thread arrived through the signed webhooks."""
    await post_hostile_thread(client, fake_twilio, services.memory.url)
    served = {"/login": await client.get("/login", params={"next": f"/{QUOTED_BREAKOUT}"})}
    assert (await sign_in(client)).status_code == 303
    customers = customer_pages(services.memory.url)
    paths = ["/", "/escalations", "/actions", *customers.values()]
    for path in paths:
        served[path] = await client.get(path)
        served[path + " (live)"] = await client.get(path, headers={"X-Live": "1"})
    served["/?q="] = await client.get("/", params={"q": HOSTILE_QUERY})
    served["chat customer"] = served[customers["chat"]]
    for path, response in served.items():
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), path
    return served


async def test_the_hostile_values_reach_the_pages_as_text(pages: dict[str, httpx.Response]) -> None:
    """Otherwise the other tests would prove nothing."""
    customer = pages["chat customer"].text
    assert "onfocus=alert(document.domain)" in customer  # the tool's arguments, shown
    assert "&lt;script&gt;" in customer and "&lt;img src=x onerror" in customer
    assert "Cliente molesto" in pages["/escalations"].text
    assert "Revisar queja" in pages["/actions"].text
    assert "Beto" in pages["/"].text and "Ana" in pages["/"].text


async def test_no_page_carries_markup_or_attributes_from_data(
    pages: dict[str, httpx.Response],
) -> None:
    findings = {path: audit(r.text) for path, r in pages.items()}
    assert {path: found for path, found in findings.items() if found} == {}


async def test_tool_arguments_stay_inside_their_attribute(
    pages: dict[str, httpx.Response],
) -> None:
    """The issue's payload: `tojson` in a double-quoted title let it add `autofocus onfocus`."""
    html = pages["chat customer"].text
    assert BARE_BREAKOUT in html
    assert not any("tabindex" in f or "autofocus" in f for f in audit(html))


async def test_media_links_are_live_only_for_https(pages: dict[str, httpx.Response]) -> None:
    hrefs = links(pages["chat customer"].text)
    assert HTTPS_MEDIA in hrefs
    assert not [h for h in hrefs if not h.startswith(("/", "https://"))], hrefs
    assert JAVASCRIPT_URL in pages["chat customer"].text  # shown to the operator, as text


async def test_every_page_sends_the_security_headers(pages: dict[str, httpx.Response]) -> None:
    problems = {path: header_problems(r) for path, r in pages.items()}
    assert {path: found for path, found in problems.items() if found} == {}


async def test_the_customers_name_is_text_in_the_page_title(
    pages: dict[str, httpx.Response],
) -> None:
    html = pages["chat customer"].text
    assert "<title>Ana&#34; autofocus" in html
    assert CHAT_NAME not in html  # never raw
