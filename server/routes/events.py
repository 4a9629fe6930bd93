"""Stored webhook events for operators: the failed ones (what, when, why) and a retry.

`GET /api/events?status=failed` lists them, `POST /api/events/{id}/retry` queues one again
after its cause was fixed; the dashboard's `/failed` page shows the same with a retry button.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from memory.events import EventNotRetryable, WebhookEvent, list_events
from server.auth import Operator, check_csrf_form, current_operator, page_operator
from server.deps import RowId, get_services
from server.jobs.events import retry_failed_event
from server.services import Services
from server.templating import templates

api = APIRouter(prefix="/api/events", tags=["operators"], dependencies=[Depends(current_operator)])
pages = APIRouter(include_in_schema=False)
Status = Literal["failed", "received", "processing", "done", "ignored"]


class EventOut(BaseModel):
    id: int
    source: str
    event_type: str
    received_at: datetime
    status: str
    attempts: int
    error: str | None


def event_out(event: WebhookEvent) -> EventOut:
    return EventOut(
        id=event.id,
        source=event.source,
        event_type=event.event_type,
        received_at=event.received_at,
        status=event.status,
        attempts=event.attempts,
        error=event.error,
    )


@api.get("", response_model=list[EventOut])
async def events(
    status: Status = "failed",
    limit: int = Query(50, ge=1, le=200),
    before_id: RowId | None = None,
    services: Services = Depends(get_services),
) -> list[EventOut]:
    found = await list_events(services.memory, status=status, limit=limit, before_id=before_id)
    return [event_out(e) for e in found]


@api.post(
    "/{event_id}/retry",
    status_code=202,
    response_model=EventOut,
    responses={404: {"description": "No failed event with that id"}},
)
async def retry_event(event_id: RowId, services: Services = Depends(get_services)) -> EventOut:
    try:
        return event_out(await retry_failed_event(services.memory, event_id))
    except EventNotRetryable as exc:
        raise HTTPException(404, str(exc)) from exc


@pages.get("/failed", response_class=HTMLResponse)
async def failed_page(
    request: Request,
    operator: Operator = Depends(page_operator),
    services: Services = Depends(get_services),
) -> HTMLResponse:
    failed = await list_events(services.memory, status="failed", limit=100)
    context: dict[str, Any] = {
        "operator": operator,
        "csrf_token": operator.csrf_token,
        "events": failed,
        "page": "failed",
        "timezone": services.settings.timezone,
    }
    return templates.TemplateResponse(request, "failed.html", context)


@pages.post("/failed/{event_id}/retry")
async def retry_form(
    request: Request,
    event_id: RowId,
    csrf_token: str = Form(""),
    operator: Operator = Depends(page_operator),
    services: Services = Depends(get_services),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    try:
        await retry_failed_event(services.memory, event_id)
    except EventNotRetryable as exc:
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse("/failed", status_code=303)
