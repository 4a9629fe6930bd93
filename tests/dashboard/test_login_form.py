"""The sign-in form's CSRF token must be one the server issued: an equal cookie and field
pair made up by someone else, a stale token or a tampered one is refused; a token issued before
a restart (or by another web process) still signs in."""

from __future__ import annotations

import time
from typing import Any

import httpx

from server import login_form
from server.login_form import issue_login_token
from tests.dashboard.conftest import EMAIL, PASSWORD


async def post_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    client.cookies.set("hilo_login", token, path="/login")
    return await client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "login_token": token, "next": "/"}
    )


async def test_an_equal_cookie_and_field_made_up_by_the_client_is_refused(client, operator):
    assert (await post_with(client, "x")).status_code == 403
    assert (await post_with(client, f"{int(time.time())}.nonce.{'0' * 64}")).status_code == 403


async def test_a_token_older_than_an_hour_is_refused(client, services: Any, operator):
    stale = await issue_login_token(services.memory, now=time.time() - 3601)
    assert (await post_with(client, stale)).status_code == 403


async def test_a_tampered_token_is_refused(client, services: Any, operator):
    stamp, nonce, mac = (await issue_login_token(services.memory)).split(".")
    assert (await post_with(client, f"{stamp}.{nonce}x.{mac}")).status_code == 403
    assert (await post_with(client, f"{int(stamp) + 1}.{nonce}.{mac}")).status_code == 403


async def test_a_token_the_server_issued_signs_in_after_a_restart(client, services: Any, operator):
    token = await issue_login_token(services.memory)
    login_form._keys.clear()  # a new process: the key is read again from PostgreSQL
    assert (await post_with(client, token)).status_code == 303
