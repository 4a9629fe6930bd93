"""Every response carries the security headers — pages, redirects, refusals, JSON, static
files, errors — the API docs still allow no inline script and nothing from another site, and
the dashboard's server-sent events still stream through the middleware."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.dashboard.conftest import sign_in
from tests.dashboard.hostile import header_problems
from tests.dashboard.test_browser import served  # noqa: F401 - the app on a loopback port


async def test_every_kind_of_response_carries_the_security_headers(
    client: httpx.AsyncClient, operator: Any
) -> None:
    responses = {
        "login": await client.get("/login"),
        "redirect to sign in": await client.get("/escalations"),
        "refused API call": await client.get("/api/customers"),
        "forged webhook": await client.post("/webhooks/twilio/whatsapp", data={"Body": "x"}),
        "health": await client.get("/healthz"),
        "static script": await client.get("/static/live.js"),
        "not found": await client.get("/no/such/page"),
        "openapi": await client.get("/openapi.json"),
    }
    assert (await sign_in(client)).status_code == 303
    responses["page"] = await client.get("/")
    responses["missing customer"] = await client.get("/customers/999999")
    problems = {name: header_problems(r) for name, r in responses.items()}
    assert {name: found for name, found in problems.items() if found} == {}


async def test_the_api_docs_allow_no_inline_script_and_refuse_framing(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/docs", "/redoc"):
        response = await client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy, path
        assert "http" not in policy, path  # nothing from another site
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
        assert response.headers["x-content-type-options"] == "nosniff", path


async def test_live_events_stream_with_the_headers(served: str, operator: Any) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=served, timeout=10) as http:
        assert (await sign_in(http)).status_code == 303
        async with http.stream("GET", "/events") as response:
            assert header_problems(response) == []
            first = await asyncio.wait_for(anext(response.aiter_text()), timeout=5)
    assert first.startswith("retry:")
