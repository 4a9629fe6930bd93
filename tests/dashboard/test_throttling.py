"""Sign-in throttling holds under parallel guesses: attempts are counted atomically in
PostgreSQL before a password is checked, per email and per client address."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.auth import MAX_ADDRESS_FAILURES, MAX_FAILURES
from tests.channels.conftest import BASE
from tests.dashboard.conftest import EMAIL, PASSWORD, sign_in


@pytest.fixture
def app(services: Any) -> Any:
    return create_app(services=services)


async def attempt(app: Any, email: str, password: str, address: str = "203.0.113.7") -> int:
    """One sign-in from its own browser (own form token and cookie) at `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=60) as http:
        return (await sign_in(http, email=email, password=password)).status_code


async def test_30_parallel_wrong_passwords_for_one_email_check_at_most_5(app, operator):
    answers = Counter(
        await asyncio.gather(*(attempt(app, EMAIL, f"guess number {i}") for i in range(30)))
    )
    assert answers[401] <= MAX_FAILURES and answers[401] + answers[429] == 30, answers
    assert await attempt(app, EMAIL, PASSWORD) == 429  # the right one, too late


async def test_parallel_guesses_from_one_address_are_throttled_across_emails(app, operator):
    guesses = (attempt(app, f"persona{i}@solandino.co", "guess-guess") for i in range(30))
    answers = Counter(await asyncio.gather(*guesses))
    assert answers[401] <= MAX_ADDRESS_FAILURES and answers[429] >= 30 - MAX_ADDRESS_FAILURES
    assert await attempt(app, EMAIL, PASSWORD, address="198.51.100.9") == 303  # elsewhere: fine


async def test_successful_sign_ins_are_not_counted_as_guesses(app, operator):
    for _ in range(MAX_FAILURES + 2):
        assert await attempt(app, EMAIL, PASSWORD) == 303
