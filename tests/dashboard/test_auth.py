"""Operators sign in with argon2-hashed passwords into server-side sessions (HTTP-only cookie),
writes need CSRF tokens, the API takes bearer tokens, and nothing leaks through redirects."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
from typer.testing import CliRunner

from server.cli import app as cli
from tests.dashboard.conftest import EMAIL, PASSWORD, csrf_of, sign_in


async def test_sign_in_sets_an_http_only_lax_session_cookie(
    client: httpx.AsyncClient, operator: Any
) -> None:
    response = await sign_in(client, next="/escalations")
    assert response.status_code == 303 and response.headers["location"] == "/escalations"
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "hilo_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert (await client.get("/api/me")).json()["email"] == EMAIL


async def test_cookie_is_secure_behind_an_https_public_url(services: Any, operator: Any) -> None:
    from server.app import create_app

    services.settings = services.settings.model_copy(update={"public_url": "https://hilo.example"})
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://hilo.test"
    ) as http:
        response = await sign_in(http)
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "hilo_session" in v
    )
    assert "Secure" in cookie


async def test_wrong_password_and_unknown_email_get_the_same_generic_401(
    client: httpx.AsyncClient, operator: Any
) -> None:
    wrong = await sign_in(client, password="not the password")
    unknown = await sign_in(client, email="nadie@solandino.co")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "Correo o contraseña incorrectos" in wrong.text
        and "Correo o contraseña incorrectos" in unknown.text
    )
    assert "hilo_session" not in wrong.headers.get("set-cookie", "")


async def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: httpx.AsyncClient, operator: Any
) -> None:
    for _ in range(5):
        assert (await sign_in(client, password="guess-guess-guess")).status_code == 401
    assert (await sign_in(client)).status_code == 429


async def test_sign_in_without_the_form_token_is_refused(
    client: httpx.AsyncClient, operator: Any
) -> None:
    response = await client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 403


async def test_next_never_redirects_off_site(client: httpx.AsyncClient, operator: Any) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = await sign_in(client, next=target)
        assert response.status_code == 303 and response.headers["location"] == "/", target
        client.cookies.clear()


async def test_pages_redirect_to_sign_in_and_api_answers_401(client: httpx.AsyncClient) -> None:
    page = await client.get("/escalations?x=1")
    assert (
        page.status_code == 303 and page.headers["location"] == "/login?next=/escalations%3Fx%3D1"
    )
    api = await client.get("/api/me")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"


async def test_cookie_writes_need_the_csrf_header(browser_session: httpx.AsyncClient) -> None:
    refused = await browser_session.post("/api/tokens", json={"name": "x"})
    assert refused.status_code == 403
    csrf = csrf_of((await browser_session.get("/")).text)
    made = await browser_session.post(
        "/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 201 and made.json()["token"].startswith("hilo_")


async def test_sign_out_ends_the_session_server_side(browser_session: httpx.AsyncClient) -> None:
    cookie = browser_session.cookies["hilo_session"]
    csrf = csrf_of((await browser_session.get("/")).text)
    assert (await browser_session.post("/logout", data={"csrf_token": "wrong"})).status_code == 403
    response = await browser_session.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    browser_session.cookies.set("hilo_session", cookie)  # replaying the old cookie
    assert (await browser_session.get("/api/me")).status_code == 401


async def test_bearer_tokens_work_until_revoked_and_are_stored_hashed(
    api: httpx.AsyncClient, api_token: str, services: Any
) -> None:
    me = (await api.get("/api/me")).json()
    assert me["email"] == EMAIL and me["via"] == "token"
    made = (await api.post("/api/tokens", json={"name": "ci"})).json()
    async with services.memory.pool.connection() as conn:
        stored = [
            r["token_hash"]
            for r in await (await conn.execute("SELECT token_hash FROM operator_tokens")).fetchall()
        ]
        hashes = [
            r["password_hash"]
            for r in await (await conn.execute("SELECT password_hash FROM operators")).fetchall()
        ]
    assert made["token"] not in stored and api_token not in stored
    assert hashes[0].startswith("$argon2id$") and PASSWORD not in hashes[0]
    assert (await api.delete(f"/api/tokens/{made['id']}")).status_code == 204
    revoked = await api.get("/api/me", headers={"Authorization": f"Bearer {made['token']}"})
    assert revoked.status_code == 401
    forged = await api.get("/api/me", headers={"Authorization": "Bearer hilo_forged"})
    assert forged.status_code == 401


def test_operators_add_from_the_command_line(settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url.get_secret_value())
    monkeypatch.setenv("HILO_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["operators", "add", "Ana@Empresa.co", "--name", "Ana", "--password-stdin"],
        input="una clave larga 123\n",
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        cli,
        ["operators", "add", "ana@empresa.co", "--password-stdin"],
        input="otra clave larga 123\n",
    )
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(
        cli, ["operators", "add", "b@empresa.co", "--password-stdin"], input="corta\n"
    )
    assert short.exit_code == 2
    token = runner.invoke(cli, ["operators", "token", "ana@empresa.co"])
    assert token.exit_code == 0 and token.output.strip().startswith("hilo_")
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:
        row = conn.execute("SELECT email, password_hash FROM operators").fetchone()
    assert row is not None and row[0] == "ana@empresa.co" and row[1].startswith("$argon2id$")
    listed = runner.invoke(cli, ["operators", "list"])
    assert "ana@empresa.co" in listed.output
    disabled = runner.invoke(cli, ["operators", "disable", "ana@empresa.co"])
    assert disabled.exit_code == 0
