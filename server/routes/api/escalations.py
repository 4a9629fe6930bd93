"""`/api/escalations…`: the queue (most urgent, then longest waiting), take one, reply as a
person, resolve (hand back to the AI). Wrong states are 409, from `server.handoff`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Header, Query, Response

from memory.inbox import escalation_queue
from server import handoff, views
from server.deps import MemoryDep, OperatorDep, RowId, ServicesDep
from server.routes.api.customers import reply
from server.routes.api.routing import CONFLICT, operator_router
from server.schemas import EscalationResultOut, QueueOut, ReplyIn, ReplyOut, ResolveIn

router = operator_router()


@router.get(
    "/escalations",
    summary="Open escalations, most urgent then longest waiting",
    response_model=QueueOut,
)
async def escalations(
    memory: MemoryDep,
    status: Literal["open", "all"] = Query("all", description="open: not taken yet"),
) -> dict[str, Any]:
    queue = await escalation_queue(memory, include_assigned=status == "all")
    return {"escalations": [views.queue_item(i) for i in queue]}


@router.post(
    "/escalations/{escalation_id}/take",
    summary="Take (assign to me)",
    responses=CONFLICT,
    response_model=EscalationResultOut,
)
async def take(
    escalation_id: RowId, operator: OperatorDep, services: ServicesDep
) -> dict[str, Any]:
    escalation = await handoff.take(services, escalation_id, operator.email)
    return {"escalation": views.escalation_view(escalation)}


@router.post(
    "/escalations/{escalation_id}/reply",
    status_code=201,
    summary="Reply as a person",
    responses=CONFLICT,
    response_model=ReplyOut,
)
async def reply_to_escalation(
    escalation_id: RowId,
    body: ReplyIn,
    response: Response,
    operator: OperatorDep,
    services: ServicesDep,
    idempotency_key: str | None = Header(None, max_length=100),
) -> dict[str, Any]:
    customer_id = await handoff.escalation_customer(services, escalation_id)
    return await reply(services, customer_id, operator, body, idempotency_key, response)


@router.post(
    "/escalations/{escalation_id}/resolve",
    summary="Resolve: hand back to the AI",
    responses=CONFLICT,
    response_model=EscalationResultOut,
)
async def resolve(
    escalation_id: RowId,
    operator: OperatorDep,
    services: ServicesDep,
    body: ResolveIn | None = None,
) -> dict[str, Any]:
    resolution = body.resolution if body else None
    escalation = await handoff.resolve(services, escalation_id, operator.email, resolution)
    return {"escalation": views.escalation_view(escalation)}
