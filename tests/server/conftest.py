"""The server suites use the channel fixtures: the whole app, Twilio faked over real HTTP."""

from tests.channels.conftest import fake_twilio, services, twilio_settings  # noqa: F401
