"""`/readyz` reports the database: 503 while PostgreSQL is down, 200 again once it is back.

The test stops and restarts a PostgreSQL of its own, so the session's server is untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from config import Settings
from server.app import create_app
from server.services import start_services
from tests import pg_control

own_postgres = pg_control.own_postgres  # the fixture


@pytest.fixture
async def client(own_postgres, embeddings, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    url = own_postgres.url
    settings = Settings(_env_file=None, database_url=url, data_dir=tmp_path, llm="rules")  # type: ignore[call-arg]
    services = await start_services(settings)
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hilo", timeout=10
    ) as http:
        yield http
    await services.memory.pool.close(timeout=5)


async def ready_within(client: httpx.AsyncClient, seconds: float) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await client.get("/readyz")
        if response.status_code == 200 or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.5)


async def test_readyz_fails_while_the_database_is_down_and_recovers(client, own_postgres):
    assert (await client.get("/readyz")).status_code == 200

    await own_postgres.stop()
    down = await client.get("/readyz")

    await own_postgres.start()
    back = await ready_within(client, 30)

    assert down.status_code == 503
    assert down.json()["status"] == "not ready"
    assert down.json()["checks"]["database"].startswith("unavailable")
    assert down.json()["checks"]["embeddings"] == "ok"
    assert back.status_code == 200, back.json()
    assert back.json()["status"] == "ready"
    assert back.json()["checks"]["database"] == "ok"


async def test_healthz_answers_even_when_the_database_is_down(client, own_postgres):
    await own_postgres.stop()
    response = await client.get("/healthz")

    assert response.status_code == 200
