"""Stored webhook events for operators: the failed ones (what, when, why) and a retry.

`GET /api/events?status=failed` lists them, `POST /api/events/{id}/retry` queues one again
after its cause was fixed; the dashboard's `/failed` page shows the same with a retry button.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from memory.events import WebhookEvent, list_events
from server.auth import check_csrf_form, current_operator
from server.deps import MemoryDep, PageOperatorDep, RowId
from server.jobs.events import retry_failed_event
from server.routes.dashboard import render

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
    memory: MemoryDep,
    status: Status = "failed",
    limit: int = Query(50, ge=1, le=200),
    before_id: RowId | None = None,
) -> list[EventOut]:
    found = await list_events(memory, status=status, limit=limit, before_id=before_id)
    return [event_out(e) for e in found]


@api.post(
    "/{event_id}/retry",
    status_code=202,
    response_model=EventOut,
    responses={404: {"description": "No failed event with that id"}},
)
async def retry_event(event_id: RowId, memory: MemoryDep) -> EventOut:
    return event_out(await retry_failed_event(memory, event_id))  # EventNotRetryable: 404


@pages.get("/failed", response_class=HTMLResponse)
async def failed_page(
    request: Request, operator: PageOperatorDep, memory: MemoryDep
) -> HTMLResponse:
    failed = await list_events(memory, status="failed", limit=100)
    return await render(request, "failed.html", operator, events=failed, page="failed")


@pages.post("/failed/{event_id}/retry")
async def retry_form(
    request: Request,
    event_id: RowId,
    operator: PageOperatorDep,
    memory: MemoryDep,
    csrf_token: str = Form(""),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    await retry_failed_event(memory, event_id)  # EventNotRetryable: 404
    return RedirectResponse("/failed", status_code=303)
