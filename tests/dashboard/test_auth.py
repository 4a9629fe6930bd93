"""Operators sign in with argon2-hashed passwords into server-side sessions (HTTP-only cookie),
writes need CSRF tokens, the API takes bearer tokens, and nothing leaks through redirects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import psycopg
from typer.testing import CliRunner

from memory.operators import create_operator, create_session, create_token, set_operator_active
from server.auth import hash_password, new_token, sha256
from server.cli import app as cli
from tests.dashboard.conftest import EMAIL, PASSWORD, csrf_of, sign_in


def session_cookie_of(response: httpx.Response) -> str:
    return next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "hilo_session" in v
    )


async def test_sign_in_sets_an_http_only_lax_session_cookie(
    client: httpx.AsyncClient, operator: Any
) -> None:
    response = await sign_in(client, next="/escalations")
    assert response.status_code == 303 and response.headers["location"] == "/escalations"
    cookie = session_cookie_of(response)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie
    assert (await client.get("/api/me")).json()["email"] == EMAIL


async def test_cookie_is_secure_behind_an_https_public_url(services: Any, operator: Any) -> None:
    from server.app import create_app

    services.settings = services.settings.model_copy(update={"public_url": "https://hilo.example"})
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://hilo.test"
    ) as http:
        response = await sign_in(http)
    assert "Secure" in session_cookie_of(response)


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
    throttled = await sign_in(client)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "900"
    assert "hilo_session" not in throttled.headers.get("set-cookie", "")


async def test_throttling_one_email_leaves_other_operators_alone(
    client: httpx.AsyncClient, operator: Any, services: Any
) -> None:
    await create_operator(services.memory, "pedro@solandino.co", hash_password(PASSWORD))
    for _ in range(5):
        await sign_in(client, password="guess-guess-guess")
    assert (await sign_in(client, email="pedro@solandino.co")).status_code == 303


async def test_sign_in_without_the_form_token_is_refused(
    client: httpx.AsyncClient, operator: Any
) -> None:
    response = await client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 403


async def test_next_never_redirects_off_site(client: httpx.AsyncClient, operator: Any) -> None:
    for target in (
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "/\t/evil.example",  # browsers drop the tab: //evil.example
        "javascript:alert(1)",
    ):
        form = await client.get("/login", params={"next": target})
        assert 'name="next" value="/"' in form.text, target
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
    assert api.json()["detail"]


async def test_cookie_writes_need_the_csrf_header(browser_session: httpx.AsyncClient) -> None:
    refused = await browser_session.post("/api/tokens", json={"name": "x"})
    assert refused.status_code == 403
    wrong = await browser_session.post(
        "/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "not-the-token"}
    )
    assert wrong.status_code == 403
    csrf = csrf_of((await browser_session.get("/")).text)
    made = await browser_session.post(
        "/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 201 and made.json()["token"].startswith("hilo_")


async def test_non_ascii_csrf_values_are_refused_not_crashed(
    browser_session: httpx.AsyncClient,
) -> None:
    header = {"X-CSRF-Token": "señal".encode("latin-1")}
    assert (await browser_session.post("/api/tokens", headers=header)).status_code == 403
    form = await browser_session.post("/logout", data={"csrf_token": "señal"})
    assert form.status_code == 403
    await browser_session.get("/login")  # the sign-in form's own cookie
    login = await browser_session.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "login_token": "señal"}
    )
    assert login.status_code == 403


async def test_sign_out_ends_the_session_server_side(browser_session: httpx.AsyncClient) -> None:
    cookie = browser_session.cookies["hilo_session"]
    csrf = csrf_of((await browser_session.get("/")).text)
    assert (await browser_session.post("/logout", data={"csrf_token": "wrong"})).status_code == 403
    response = await browser_session.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    browser_session.cookies.set("hilo_session", cookie)  # replaying the old cookie
    assert (await browser_session.get("/api/me")).status_code == 401


async def test_session_ids_are_stored_only_as_hashes(
    browser_session: httpx.AsyncClient, services: Any
) -> None:
    cookie = browser_session.cookies["hilo_session"]
    async with services.memory.pool.connection() as conn:
        rows = await (await conn.execute("SELECT id_hash FROM operator_sessions")).fetchall()
    assert [r["id_hash"] for r in rows] == [sha256(cookie)]


async def test_signing_in_again_ends_the_previous_session(
    browser_session: httpx.AsyncClient,
) -> None:
    first = browser_session.cookies["hilo_session"]
    assert (await sign_in(browser_session)).status_code == 303
    assert browser_session.cookies["hilo_session"] != first
    browser_session.cookies.set("hilo_session", first)
    assert (await browser_session.get("/api/me")).status_code == 401


async def test_an_expired_session_is_refused(
    client: httpx.AsyncClient, operator: Any, services: Any
) -> None:
    await create_session(
        services.memory, operator.id, sha256("expired-session"), "csrf", timedelta(seconds=-1)
    )
    client.cookies.set("hilo_session", "expired-session")
    assert (await client.get("/api/me")).status_code == 401
    page = await client.get("/")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_a_disabled_operator_loses_sessions_and_tokens(
    browser_session: httpx.AsyncClient, api_token: str, services: Any
) -> None:
    await set_operator_active(services.memory, EMAIL, False)
    assert (await browser_session.get("/api/me")).status_code == 401
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert (await browser_session.get("/api/me", headers=bearer)).status_code == 401
    browser_session.cookies.clear()
    again = await sign_in(browser_session)
    assert again.status_code == 401 and "Correo o contraseña incorrectos" in again.text


async def test_operators_cannot_revoke_each_others_tokens(
    api: httpx.AsyncClient, services: Any
) -> None:
    other = await create_operator(services.memory, "pedro@solandino.co", hash_password(PASSWORD))
    theirs = new_token()
    their_id = await create_token(services.memory, other.id, sha256(theirs), "pedro")
    assert (await api.delete(f"/api/tokens/{their_id}")).status_code == 404
    me = await api.get("/api/me", headers={"Authorization": f"Bearer {theirs}"})
    assert me.status_code == 200 and me.json()["email"] == "pedro@solandino.co"


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
        used = await (
            await conn.execute(
                "SELECT last_used_at FROM operator_tokens WHERE token_hash = %s",
                (sha256(api_token),),
            )
        ).fetchone()
    assert made["token"] not in stored and api_token not in stored
    assert hashes[0].startswith("$argon2id$") and PASSWORD not in hashes[0]
    assert used is not None and used["last_used_at"] is not None
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
    invalid = runner.invoke(
        cli, ["operators", "add", "not-an-email", "--password-stdin"], input="una clave larga 123\n"
    )
    assert invalid.exit_code == 1 and "not an email address" in invalid.output
    token = runner.invoke(cli, ["operators", "token", "ana@empresa.co"])
    assert token.exit_code == 0 and token.output.strip().startswith("hilo_")
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:
        row = conn.execute("SELECT email, password_hash FROM operators").fetchone()
    assert row is not None and row[0] == "ana@empresa.co" and row[1].startswith("$argon2id$")
    listed = runner.invoke(cli, ["operators", "list"])
    assert "ana@empresa.co" in listed.output
    disabled = runner.invoke(cli, ["operators", "disable", "ana@empresa.co"])
    assert disabled.exit_code == 0
    assert runner.invoke(cli, ["operators", "token", "ana@empresa.co"]).exit_code == 1
    unknown = runner.invoke(cli, ["operators", "disable", "nadie@empresa.co"])
    assert unknown.exit_code == 1 and "no operator" in unknown.output
