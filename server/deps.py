"""FastAPI dependencies: the shared services and their parts."""

from __future__ import annotations

from fastapi import Request

from memory import Memory
from server.services import Services


async def get_services(request: Request) -> Services:
    # Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop
    # on the webhook path.
    services: Services = request.app.state.services
    return services


async def get_memory(request: Request) -> Memory:
    services: Services = request.app.state.services
    return services.memory
