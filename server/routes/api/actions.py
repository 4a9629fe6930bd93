"""`/api/…next-actions`: a customer's next actions (list, add, complete, reschedule, edit) and
the board of every customer's open ones."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Query

from memory import create_next_action, update_next_action
from memory.actions import list_next_actions
from memory.inbox import next_actions_board
from server import views
from server.deps import MemoryDep, OperatorDep, RowId, SettingsDep
from server.routes.api.customers import customer_or_404
from server.routes.api.routing import NOT_FOUND, operator_router
from server.schemas import (
    BoardOut,
    NextActionIn,
    NextActionPatch,
    NextActionResultOut,
    NextActionsOut,
)
from tools.rescheduling import rewording

router = operator_router()


@router.get(
    "/customers/{customer_id}/next-actions",
    summary="A customer's open next actions",
    responses=NOT_FOUND,
    response_model=NextActionsOut,
)
async def customer_actions(
    customer_id: RowId, memory: MemoryDep, include_closed: bool = False
) -> dict[str, Any]:
    await customer_or_404(memory, customer_id)
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
    await customer_or_404(memory, customer_id)
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
    customer_id: RowId,
    action_id: RowId,
    body: NextActionPatch,
    memory: MemoryDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    action = await update_next_action(
        memory,
        customer_id,
        action_id,
        status=body.status,
        due_at=body.due_at,
        priority=body.priority,
        description=body.description,
        reword=rewording(settings.timezone),
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
