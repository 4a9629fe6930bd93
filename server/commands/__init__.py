"""CLI commands by concern; each module's `register(app)` adds its commands to `hilo`."""

from server.commands import calls, chat, demo, evals, operators, worker

MODULES = (worker, chat, demo, calls, evals, operators)
