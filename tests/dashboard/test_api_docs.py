"""The API description and its pages: `/docs` and `/redoc` work offline (every script and
stylesheet is served by Hilo itself, and none is inline), every operator route answers a
typed schema, the two ways to sign in are declared (Swagger UI's Authorize button), and the
webhooks and each live tool have a request body."""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any

import httpx
import pytest

from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, NO_BROWSER, served  # noqa: F401
from tools.registry import TOOLS


async def _schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


async def test_docs_pages_load_only_local_assets_that_answer(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page.text)
        assert assets, path
        assert [a for a in assets if not a.startswith("/")] == [], path
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == [], "inline script"
        for asset in assets:
            answer = await client.get(asset)
            assert answer.status_code == 200, asset
            assert len(answer.content) > 0, asset
            assert b"cdn.redoc.ly" not in answer.content, asset  # ReDoc's footer logo


async def test_openapi_names_the_installed_version(client: httpx.AsyncClient) -> None:
    assert (await _schema(client))["info"]["version"] == version("hilo")


async def test_openapi_declares_bearer_and_cookie_sign_in(client: httpx.AsyncClient) -> None:
    schema = await _schema(client)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "hilo_session"
    for path, operations in schema["paths"].items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                assert {"bearer": []} in operation.get("security", []), (method, path)


async def test_every_operator_route_answers_a_typed_schema(client: httpx.AsyncClient) -> None:
    schema = await _schema(client)
    components = schema["components"]["schemas"]
    untyped = []
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            success = [c for c in ("200", "201", "202") if c in operation["responses"]]
            if not success and "204" in operation["responses"]:
                continue  # no body
            content = operation["responses"][success[0]]["content"]["application/json"]
            ref = content["schema"].get("$ref") or content["schema"].get("items", {}).get("$ref")
            name = ref.rsplit("/", 1)[-1] if ref else None
            if name not in components or not components[name].get("properties"):
                untyped.append(f"{method.upper()} {path}")
    assert untyped == []


async def test_webhooks_and_each_live_tool_have_a_request_body(
    client: httpx.AsyncClient,
) -> None:
    schema = await _schema(client)
    components = schema["components"]["schemas"]
    paths = schema["paths"]

    def body(path: str, media: str = "application/json") -> dict[str, Any]:
        ref = paths[path]["post"]["requestBody"]["content"][media]["schema"]["$ref"]
        found: dict[str, Any] = components[ref.rsplit("/", 1)[-1]]
        return found

    form = "application/x-www-form-urlencoded"
    assert {"MessageSid", "From", "Body"} <= set(
        body("/webhooks/twilio/whatsapp", form)["properties"]
    )
    assert "MessageStatus" in body("/webhooks/twilio/status", form)["required"]
    assert {"type", "data"} <= set(body("/webhooks/elevenlabs/post-call")["required"])
    assert "caller_id" in body("/webhooks/elevenlabs/conversation-init")["properties"]
    assert "/elevenlabs/tools/{tool}" not in paths
    for name, spec in TOOLS.items():
        fields = set(body(f"/elevenlabs/tools/{name}")["properties"])
        assert set(spec.args.model_fields) | {"caller_id"} <= fields, name


async def test_a_named_tool_route_still_refuses_without_the_secret_and_unknown_is_404(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post("/elevenlabs/tools/recall_conversations", json={"query": "x"})
    assert refused.status_code in (401, 503)
    unknown = await client.post("/elevenlabs/tools/no_such_tool", json={})
    assert unknown.status_code in (401, 503)  # the secret is checked before the name


@pytest.mark.browser
async def test_docs_render_in_a_browser_with_no_network(served: str) -> None:  # noqa: F811
    """Chromium with every request off this host refused: Swagger UI lists the operator routes
    and the Authorize button, ReDoc its sections; not one request left the host (ReDoc's CDN
    logo, Swagger UI's validator badge) and the console has no CSP violation.

    The site is reached as `http://hilo.test:PORT` (mapped to the loopback server), not as
    127.0.0.1: Swagger UI skips its online validator only for localhost addresses, so a test on
    127.0.0.1 would miss the request a real deployment's /docs makes."""
    if NO_BROWSER:
        pytest.skip("Debian's chromium is not installed")
    from playwright.async_api import Route, async_playwright, expect

    port = served.rsplit(":", 1)[1]
    site = f"http://hilo.test:{port}"
    outside: list[str] = []
    problems: list[str] = []

    async def only_local(route: Route) -> None:
        if route.request.url.startswith(site + "/"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP hilo.test 127.0.0.1"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = await browser.new_page()
        page.on(
            "console",
            lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
        )
        await page.route("**/*", only_local)
        try:
            await page.goto(site + "/docs")
            await expect(page.locator(".swagger-ui")).to_contain_text("/api/customers")
            await expect(page.locator("button.authorize")).to_be_visible()
            await page.wait_for_load_state("networkidle")
            await page.goto(site + "/redoc")
            await expect(page.locator("#redoc")).to_contain_text("Live tool: send_whatsapp")
            await page.wait_for_load_state("networkidle")
        finally:
            await browser.close()
    assert outside == []
    assert problems == []
