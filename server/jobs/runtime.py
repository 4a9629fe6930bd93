"""How a job reaches this process's services (memory, agent, channels).

The worker sets them once at start-up; task functions take only ids and read the rest from the
database through these services.
"""

from __future__ import annotations

from typing import Any

_services: Any = None


def set_services(services: Any) -> None:
    global _services
    _services = services


def services() -> Any:
    if _services is None:
        raise RuntimeError("no services: jobs run only inside `hilo serve` or `hilo worker`")
    return _services
