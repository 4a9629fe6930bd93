"""Bodies FastAPI parses itself are capped before authentication: 413, nothing parsed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from server.body_limit import API_BODY_LIMIT


async def test_an_oversized_api_body_is_413_even_without_signing_in(client):
    body = b'{"text": "' + b"x" * (API_BODY_LIMIT + 10) + b'"}'
    answer = await client.post(
        "/api/customers/1/messages", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert "larger than" in answer.json()["detail"]
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_a_streamed_oversized_body_is_413(client):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(API_BODY_LIMIT // 65536 + 2):
            yield b"y" * 65536

    answer = await client.post(
        "/api/customers/1/messages", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413


async def test_a_normal_api_body_still_reaches_authentication(client):
    answer = await client.post("/api/customers/1/messages", json={"text": "hola"})
    assert answer.status_code == 401
