"""Confirmations with buttons (`TWILIO_CONFIRM_CONTENT_SID`): a yes/no question of the agent
leaves as the quick-reply template (the text as its variable 1), a tapped button is understood
as the answer; without the template the question is plain text."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.channels.conftest import inbound_form, post_signed
from tests.waiting import wait_until_drained

TEMPLATE = "HX" + "c" * 32
# Nothing to go on (no call, no topic): the agent offers a person, a yes/no question. (A
# question about a fact never discussed is checked with the team instead, no question back.)
UNKNOWN = "quiero algo que no sé explicar bien"


@pytest.fixture
def twilio_settings(twilio_settings):
    return twilio_settings.model_copy(update={"twilio_confirm_content_sid": TEMPLATE})


async def say(client, services, form) -> None:
    assert (await post_signed(client, "/webhooks/twilio/whatsapp", form)).status_code == 200
    await wait_until_drained(services.memory.url)


async def test_a_yes_no_question_is_sent_with_buttons_and_a_tap_is_understood(
    client, services, fake_twilio
):
    await say(client, services, inbound_form("SM" + "1" * 32, UNKNOWN))
    [question] = fake_twilio.messages
    assert question["ContentSid"] == TEMPLATE and "Body" not in question
    offered = json.loads(question["ContentVariables"])["1"]
    assert offered.endswith("?") and "persona" in offered
    tap = inbound_form(
        "SM" + "2" * 32,
        "Sí, por favor",
        MessageType="button",
        ButtonText="Sí, por favor",
        ButtonPayload="yes",
    )
    await say(client, services, tap)
    with psycopg.connect(services.memory.url) as conn:
        opened = conn.execute("SELECT count(*) FROM escalations WHERE status='open'").fetchone()
    assert opened == (1,)  # the tapped "yes" took up the offer of a person
    assert "persona de nuestro equipo" in fake_twilio.messages[-1]["Body"]


async def test_without_the_template_the_question_is_plain_text(client, services, fake_twilio):
    services.settings.twilio_confirm_content_sid = None
    await say(client, services, inbound_form("SM" + "3" * 32, UNKNOWN))
    [question] = fake_twilio.messages
    assert "ContentSid" not in question and question["Body"].endswith("?")
    await say(client, services, inbound_form("SM" + "4" * 32, "sí"))  # typed, not tapped
    with psycopg.connect(services.memory.url) as conn:
        opened = conn.execute("SELECT count(*) FROM escalations WHERE status='open'").fetchone()
    assert opened == (1,)
