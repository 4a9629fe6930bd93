"""Channel fixtures: the whole app (real services, an in-process worker) with Twilio's REST API
faked over real HTTP, and helpers that sign webhooks exactly as Twilio signs them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from server.app import create_app
from server.services import start_services
from tests.channels.fake_twilio import FakeTwilio
from tests.waiting import wait_until  # noqa: F401 - the suites' waiting helper, here since before

AUTH_TOKEN = "test-auth-token-not-a-secret"
ACCOUNT_SID = "AC" + "0" * 32
BASE = "http://hilo.test"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio_settings(settings, fake_twilio):
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "twilio_whatsapp_from": "+14155238886",
            "twilio_api_base_url": fake_twilio.base_url,
        }
    )


@pytest.fixture
async def services(twilio_settings) -> AsyncIterator[Any]:
    svc = await start_services(twilio_settings)
    await svc.start_worker(concurrency=4)
    yield svc
    await svc.close()


@pytest.fixture
async def client(services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=20
    ) as http:
        yield http


def twilio_signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def inbound_form(sid: str, body: str, phone: str = "+573001112233", **extra: str) -> dict[str, str]:
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Ana",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": phone.lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155238886",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{phone}",
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def post_signed(
    client: httpx.AsyncClient,
    path: str,
    form: dict[str, str],
    *,
    url: str | None = None,
    signature: str | None = None,
) -> httpx.Response:
    signed_url = url or BASE + path
    sig = signature if signature is not None else twilio_signature(signed_url, form)
    return await client.post(path, data=form, headers={"X-Twilio-Signature": sig})
