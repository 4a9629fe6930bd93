"""Dashboard fixtures: the whole app (channel fixtures: real services, in-process worker, fake
Twilio over HTTP), an operator created through the real code, a signed-in client and a token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from memory.operators import create_operator, create_token
from server.app import create_app
from server.auth import hash_password, new_token, sha256
from tests.channels import conftest as channel_fixtures
from tests.channels.conftest import BASE

# The channel suite's fixtures, shared: the app with real services and a fake Twilio.
fake_twilio = channel_fixtures.fake_twilio
twilio_settings = channel_fixtures.twilio_settings
services = channel_fixtures.services
client = channel_fixtures.client

EMAIL, PASSWORD = "laura@solandino.co", "correct horse battery"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD's argon2 hash, made once: hashing costs ~0.1 s of CPU, and most tests sign in.
    Signing in still verifies it with argon2, as in production."""
    return hash_password(PASSWORD)


@pytest.fixture
async def operator(services: Any, password_hash: str) -> Any:
    return await create_operator(services.memory, EMAIL, password_hash, name="Laura")


@pytest.fixture
async def api_token(services: Any, operator: Any) -> str:
    token = new_token()
    await create_token(services.memory, operator.id, sha256(token), "tests")
    return token


@pytest.fixture
async def api(services: Any, api_token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated with a bearer token."""
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        timeout=20,
        headers={"Authorization": f"Bearer {api_token}"},
    ) as http:
        yield http


async def sign_in(
    http: httpx.AsyncClient, email: str = EMAIL, password: str = PASSWORD, next: str = "/"
) -> httpx.Response:
    page = await http.get("/login", params={"next": next})
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token, page.text
    return await http.post(
        "/login",
        data={"email": email, "password": password, "login_token": token.group(1), "next": next},
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture
async def browser_session(client: httpx.AsyncClient, operator: Any) -> httpx.AsyncClient:
    """`client`, signed in with the session cookie."""
    response = await sign_in(client)
    assert response.status_code == 303, response.text
    return client
