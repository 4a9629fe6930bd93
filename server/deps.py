"""FastAPI dependencies: the shared services and their parts, and the path id type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

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


MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id is no row, and it would not fit a query
# A row id in a path: 1 … 2^63 - 1, anything else answered 422 before a query is built.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
