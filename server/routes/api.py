"""The operators' JSON API (`/api`): customers, timelines, next actions, escalations, replies.

Every route needs a signed-in operator: a bearer token (`Authorization: Bearer …`) or the
dashboard's session cookie (then writes carry the `X-CSRF-Token` header). Routes parse, call one
function of `server.handoff`, `server.views` or memory, and answer; domain errors become
404/409/422 with a message here.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response

from memory import (
    Memory,
    UnknownCustomer,
    create_next_action,
    get_customer,
    update_next_action,
)
from memory.actions import list_next_actions
from memory.inbox import escalation_queue, list_customers, next_actions_board
from server import handoff, views
from server.auth import Operator, current_operator
from server.deps import MAX_ID, MemoryDep, OperatorDep, RowId, ServicesDep
from server.schemas import (
    BoardOut,
    CustomerProfileOut,
    CustomersOut,
    EscalateIn,
    EscalationCreatedOut,
    EscalationResultOut,
    NextActionIn,
    NextActionPatch,
    NextActionResultOut,
    NextActionsOut,
    QueueOut,
    ReplyIn,
    ReplyOut,
    ResolveIn,
    TimelineOut,
)
from server.services import Services

# Every answer but the route's own and FastAPI's 422 (a field, path or query value refused, which
# memory's InvalidInput, e.g. a date out of range, answers too).
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    401: {"description": "No valid bearer token, and no session cookie"},
    403: {"description": "A write with the session cookie but without its X-CSRF-Token"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such customer or item"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "The escalation is not in a state that allows it"},
}
router = APIRouter(
    prefix="/api", tags=["operators"], dependencies=[Depends(current_operator)], responses=REFUSALS
)
MAX_OFFSET = 1_000_000  # deeper than any list an operator pages through


async def _customer_or_404(memory: Memory, customer_id: int) -> None:
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
    await _customer_or_404(memory, customer_id)
    return await views.customer_timeline(memory, customer_id, limit=limit, before_id=before_id)


async def _reply(
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
    await _customer_or_404(services.memory, customer_id)
    return await _reply(services, customer_id, operator, body, idempotency_key, response)


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
    await _customer_or_404(services.memory, customer_id)
    escalation, created = await handoff.open_by_operator(
        services, customer_id, operator.email, body.reason, body.priority
    )
    if not created:
        response.status_code = 200
    return {"escalation": views.escalation_view(escalation), "created": created}


@router.get(
    "/customers/{customer_id}/next-actions",
    summary="A customer's open next actions",
    responses=NOT_FOUND,
    response_model=NextActionsOut,
)
async def customer_actions(
    customer_id: RowId, memory: MemoryDep, include_closed: bool = False
) -> dict[str, Any]:
    await _customer_or_404(memory, customer_id)
    actions = await list_next_actions(memory, customer_id, open_only=not include_closed)
    return {"next_actions": [views.action_view(a) for a in actions]}


@router.post(
    "/customers/{customer_id}/next-actions",
    status_code=201,
    summary="Add",
    responses=NOT_FOUND,
    response_model=NextActionResultOut,
)
async def add_action(
    customer_id: RowId, body: NextActionIn, operator: OperatorDep, memory: MemoryDep
) -> dict[str, Any]:
    await _customer_or_404(memory, customer_id)
    action = await create_next_action(
        memory,
        customer_id,
        body.description,
        type=body.type,
        priority=body.priority,
        due_at=body.due_at,
        created_by=f"operator:{operator.email}",
    )
    return {"next_action": views.action_view(action)}


@router.patch(
    "/customers/{customer_id}/next-actions/{action_id}",
    summary="Complete, reschedule, edit",
    responses=NOT_FOUND,
    response_model=NextActionResultOut,
)
async def change_action(
    customer_id: RowId, action_id: RowId, body: NextActionPatch, memory: MemoryDep
) -> dict[str, Any]:
    action = await update_next_action(
        memory,
        customer_id,
        action_id,
        status=body.status,
        due_at=body.due_at,
        priority=body.priority,
        description=body.description,
    )
    if action is None:
        raise HTTPException(404, f"customer {customer_id} has no next action {action_id}")
    return {"next_action": views.action_view(action)}


@router.get(
    "/next-actions",
    summary="Open next actions of every customer (the board)",
    response_model=BoardOut,
)
async def board(
    memory: MemoryDep,
    overdue: bool = Query(False, description="Only those due before now"),
    type: str | None = Query(None, pattern=r"^[a-z_]{1,30}$", description="follow_up, call…"),
    customer: str | None = Query(None, max_length=100, description="Name or phone digits"),
) -> dict[str, Any]:
    actions = await next_actions_board(memory, overdue=overdue, type=type, customer=customer)
    return {"next_actions": [views.board_action(a) for a in actions]}


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
    return await _reply(services, customer_id, operator, body, idempotency_key, response)


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
