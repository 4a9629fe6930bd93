"""The dashboard's forms: reply, escalate, take, resolve, add and change next actions.

Plain HTML forms with the session's CSRF token; each calls one function and answers with a
redirect back (post/redirect/get), so reloading never sends twice; a reply form carries a
one-time request id, so a double submit sends one message.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from memory import UnknownCustomer, create_next_action, update_next_action
from server import handoff
from server.auth import check_csrf_form
from server.deps import MemoryDep, PageOperatorDep, RowId, ServicesDep, SettingsDep
from tools.rescheduling import rewording

router = APIRouter(include_in_schema=False)


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.post("/customers/{customer_id}/reply")
async def reply_form(
    request: Request,
    customer_id: RowId,
    operator: PageOperatorDep,
    services: ServicesDep,
    text: str = Form(..., max_length=handoff.MAX_REPLY_CHARS),
    request_id: str = Form(..., max_length=100),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    try:
        await handoff.reply(services, customer_id, operator.email, text, request_id=request_id)
    except UnknownCustomer:
        raise HTTPException(404, f"no customer {customer_id}") from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return back(f"/customers/{customer_id}#thread")


@router.post("/customers/{customer_id}/escalate")
async def escalate_form(
    request: Request,
    customer_id: RowId,
    operator: PageOperatorDep,
    services: ServicesDep,
    reason: str = Form(..., min_length=1, max_length=500),
    priority: str = Form("normal", pattern="^(low|normal|high|urgent)$"),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    try:
        await handoff.open_by_operator(services, customer_id, operator.email, reason, priority)
    except UnknownCustomer:
        raise HTTPException(404, f"no customer {customer_id}") from None
    return back(f"/customers/{customer_id}")


@router.post("/escalations/{escalation_id}/take")
async def take_form(
    request: Request,
    escalation_id: RowId,
    operator: PageOperatorDep,
    services: ServicesDep,
    csrf_token: str = Form(""),
    next: str = Form("/escalations"),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    await handoff.take(services, escalation_id, operator.email)
    return back(_local(next))


@router.post("/escalations/{escalation_id}/resolve")
async def resolve_form(
    request: Request,
    escalation_id: RowId,
    operator: PageOperatorDep,
    services: ServicesDep,
    resolution: str = Form("", max_length=1000),
    csrf_token: str = Form(""),
    next: str = Form("/escalations"),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    await handoff.resolve(services, escalation_id, operator.email, resolution)
    return back(_local(next))


@router.post("/customers/{customer_id}/actions")
async def add_action_form(
    request: Request,
    customer_id: RowId,
    operator: PageOperatorDep,
    memory: MemoryDep,
    settings: SettingsDep,
    description: str = Form(..., min_length=1, max_length=500),
    due_at: str = Form(""),
    priority: str = Form("normal", pattern="^(low|normal|high|urgent)$"),
    csrf_token: str = Form(""),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    due = _local_time(due_at, settings.timezone)
    try:
        await create_next_action(
            memory,
            customer_id,
            description,
            priority=priority,  # type: ignore[arg-type]
            due_at=due,
            created_by=f"operator:{operator.email}",
        )
    except UnknownCustomer:
        raise HTTPException(404, f"no customer {customer_id}") from None
    return back(f"/customers/{customer_id}")


@router.post("/customers/{customer_id}/actions/{action_id}")
async def change_action_form(
    request: Request,
    customer_id: RowId,
    action_id: RowId,
    operator: PageOperatorDep,
    memory: MemoryDep,
    settings: SettingsDep,
    status: str = Form("", pattern="^(|open|done|cancelled)$"),
    due_at: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/actions"),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    changed = await update_next_action(
        memory,
        customer_id,
        action_id,
        status=status or None,  # type: ignore[arg-type]
        due_at=_local_time(due_at, settings.timezone),
        reword=rewording(settings.timezone),  # "Llamar el lunes 7…" moved says its new day
    )
    if changed is None:
        raise HTTPException(404, f"customer {customer_id} has no next action {action_id}")
    return back(_local(next))


def _local(url: str) -> str:
    """Only paths of this site (no open redirect through `next`)."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


def _local_time(value: str, timezone: str) -> datetime | None:
    """A `datetime-local` input (no offset) read in the business's time zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"not a date and time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))
