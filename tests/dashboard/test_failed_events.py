"""An event that can never succeed fails once, says why, and operators can retry it.

A signed post-call webhook whose customer phone is not a phone number is accepted (the
signature is good and the body well formed), but its ingest job cannot store it: that is a
permanent error, recorded on the stored event after one attempt instead of being retried as if
the database had hiccuped. Operators see it (API and dashboard) and can queue it again.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.channels.conftest import wait_until
from tests.channels.test_elevenlabs import SECRET, post_call, post_call_payload
from tests.dashboard.conftest import csrf_of


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(update={"elevenlabs_webhook_secret": SecretStr(SECRET)})


async def failed_events(api) -> list[dict]:
    answer = await api.get("/api/events", params={"status": "failed"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_an_invalid_phone_post_call_fails_once_with_its_reason(client, api):
    payload = post_call_payload("conv_bad_phone", phone="+57 12")
    assert (await post_call(client, payload)).status_code == 200

    async def listed() -> bool:
        return len(await failed_events(api)) == 1

    await wait_until(listed, timeout=30)
    [event] = await failed_events(api)
    assert event["event_type"] == "post_call_transcription"
    assert event["attempts"] == 1, "a permanent error must not be retried"
    assert "InvalidPhone" in event["error"] or "phone" in event["error"].lower()


async def test_an_operator_retries_a_failed_event_from_the_api(client, api):
    assert (await post_call(client, post_call_payload("conv_retry", phone="12"))).status_code == 200

    async def failed_once() -> bool:
        found = await failed_events(api)
        return len(found) == 1 and found[0]["attempts"] == 1

    await wait_until(failed_once, timeout=30)
    [event] = await failed_events(api)
    retried = await api.post(f"/api/events/{event['id']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "received"

    async def failed_twice() -> bool:
        found = await failed_events(api)
        return len(found) == 1 and found[0]["attempts"] == 2

    await wait_until(failed_twice, timeout=30)  # the cause is still there: it fails again
    assert (await api.post("/api/events/999999/retry")).status_code == 404


async def test_the_dashboard_lists_failed_events_with_a_retry_button(client, api, browser_session):
    assert (await post_call(client, post_call_payload("conv_page", phone="12"))).status_code == 200

    async def listed() -> bool:
        return len(await failed_events(api)) == 1

    await wait_until(listed, timeout=30)
    page = await browser_session.get("/failed")
    assert page.status_code == 200
    assert "post_call_transcription" in page.text and "Reintentar" in page.text
    [event] = await failed_events(api)
    form = await browser_session.post(
        f"/failed/{event['id']}/retry", data={"csrf_token": csrf_of(page.text)}
    )
    assert form.status_code == 303
