"""`/api/customers…`: search customers, a profile and its timeline, an operator's reply, and
handing a customer to people. `reply` answers the escalation route's reply too."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Header, HTTPException, Query, Response

from memory import Memory, UnknownCustomer, get_customer
from memory.inbox import list_customers
from server import handoff, views
from server.auth import Operator
from server.deps import MAX_ID, MemoryDep, OperatorDep, RowId, ServicesDep
from server.routes.api.routing import MAX_OFFSET, NOT_FOUND, operator_router
from server.schemas import (
    CustomerProfileOut,
    CustomersOut,
    EscalateIn,
    EscalationCreatedOut,
    ReplyIn,
    ReplyOut,
    TimelineOut,
)
from server.services import Services

router = operator_router()


async def customer_or_404(memory: Memory, customer_id: int) -> None:
    try:
        await get_customer(memory, customer_id)
    except UnknownCustomer:
        raise HTTPException(404, f"no customer {customer_id}") from None


@router.get("/customers", summary="Search and filter customers", response_model=CustomersOut)
async def customers(
    memory: MemoryDep,
    q: str | None = Query(None, max_length=100, description="Phone digits or part of the name"),
    state: Literal["active", "escalated", "opted_out"] | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    rows = await list_customers(memory, query=q, state=state, limit=limit, offset=offset)
    return {"customers": [views.customer_row(r) for r in rows]}


@router.get(
    "/customers/{customer_id}",
    summary="A customer's profile and thread state",
    responses=NOT_FOUND,
    response_model=CustomerProfileOut,
)
async def customer(customer_id: RowId, memory: MemoryDep) -> dict[str, Any]:
    try:
        return await views.customer_profile(memory, customer_id)
    except UnknownCustomer:
        raise HTTPException(404, f"no customer {customer_id}") from None


@router.get(
    "/customers/{customer_id}/timeline",
    summary="Every channel, oldest first",
    responses=NOT_FOUND,
    response_model=TimelineOut,
)
async def customer_timeline(
    customer_id: RowId,
    memory: MemoryDep,
    limit: int = Query(200, ge=1, le=1000),
    before_id: int | None = Query(
        None, ge=1, le=MAX_ID, description="Page back: items older than this id"
    ),
) -> dict[str, Any]:
    await customer_or_404(memory, customer_id)
    return await views.customer_timeline(memory, customer_id, limit=limit, before_id=before_id)


async def reply(
    services: Services,
    customer_id: int,
    operator: Operator,
    body: ReplyIn,
    idempotency_key: str | None,
    response: Response,
) -> dict[str, Any]:
    """An operator's reply to a customer, answered 201 (created) or 200 (the same request)."""
    try:
        message, created = await handoff.reply(
            services,
            customer_id,
            operator.email,
            body.text,
            request_id=body.request_id or idempotency_key,
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if not created:
        response.status_code = 200
    return {"message": views.timeline_item(message), "created": created}


@router.post(
    "/customers/{customer_id}/messages",
    status_code=201,
    summary="Reply as a person",
    responses=NOT_FOUND,
    response_model=ReplyOut,
)
async def send_reply(
    customer_id: RowId,
    body: ReplyIn,
    response: Response,
    operator: OperatorDep,
    services: ServicesDep,
    idempotency_key: str | None = Header(None, max_length=100),
) -> dict[str, Any]:
    await customer_or_404(services.memory, customer_id)
    return await reply(services, customer_id, operator, body, idempotency_key, response)


@router.post(
    "/customers/{customer_id}/escalations",
    status_code=201,
    summary="Hand to people",
    responses=NOT_FOUND,
    response_model=EscalationCreatedOut,
)
async def escalate(
    customer_id: RowId,
    body: EscalateIn,
    response: Response,
    operator: OperatorDep,
    services: ServicesDep,
) -> dict[str, Any]:
    await customer_or_404(services.memory, customer_id)
    escalation, created = await handoff.open_by_operator(
        services, customer_id, operator.email, body.reason, body.priority
    )
    if not created:
        response.status_code = 200
    return {"escalation": views.escalation_view(escalation), "created": created}
