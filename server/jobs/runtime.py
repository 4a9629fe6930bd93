"""How a job reaches this process's services (memory, agent, channels, settings).

The worker sets them once at start-up; task functions take only ids and read the rest from the
database through these services. Typed as `Services` (imported for the type checker only:
`server.services` imports the jobs, which import this).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.services import Services

_services: Services | None = None


def set_services(services: Services) -> None:
    global _services
    _services = services


def services() -> Services:
    if _services is None:
        raise RuntimeError("no services: jobs run only inside `hilo serve` or `hilo worker`")
    return _services
