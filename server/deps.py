"""FastAPI dependencies: the shared services and their parts."""

from __future__ import annotations

from fastapi import Request

from memory import Memory
from server.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_memory(request: Request) -> Memory:
    return get_services(request).memory
