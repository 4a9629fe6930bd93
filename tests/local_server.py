"""The tests' fakes serve their apps with `evals.local_server.LocalServer` (one loopback server
class for the eval's fake model and the tests' fakes of Twilio, ElevenLabs and OpenAI)."""

from evals.local_server import LocalServer

__all__ = ["LocalServer"]
