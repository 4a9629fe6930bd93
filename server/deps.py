"""FastAPI dependencies, typed: each route asks for the part it uses (`MemoryDep`,
`SettingsDep`, `AgentDep`, `OperatorDep`…), `ServicesDep` only where a use case needs several;
and the path id type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from agent import Agent
from config import Settings
from memory import Memory
from server.auth import Operator, current_operator, page_operator
from server.services import Services

# Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop on
# the webhook path.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_memory(request: Request) -> Memory:
    services: Services = request.app.state.services
    return services.memory


async def get_settings(request: Request) -> Settings:
    services: Services = request.app.state.services
    return services.settings


async def get_agent(request: Request) -> Agent:
    services: Services = request.app.state.services
    return services.agent


ServicesDep = Annotated[Services, Depends(get_services)]
MemoryDep = Annotated[Memory, Depends(get_memory)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AgentDep = Annotated[Agent, Depends(get_agent)]
OperatorDep = Annotated[Operator, Depends(current_operator)]  # the API's (bearer or cookie)
PageOperatorDep = Annotated[Operator, Depends(page_operator)]  # the dashboard's (cookie)

MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id is no row, and it would not fit a query
# A row id in a path: 1 … 2^63 - 1, anything else answered 422 before a query is built.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
