"""The handoff suites use the channel fixtures: the whole app with an in-process worker and
Twilio faked over real HTTP."""

from tests.channels.conftest import client, fake_twilio, services, twilio_settings  # noqa: F401
