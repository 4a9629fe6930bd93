"""The operators' dashboard: server-rendered pages (Jinja2), plain forms with CSRF tokens, and
live updates by server-sent events (`/events`) — no build step, no CDN, works offline.

Pages: the conversation list (`/`), the escalation queue (`/escalations`), a customer's page
with the unified timeline and the reply box (`/customers/{id}`), the next-actions board
(`/actions`). Every page needs a signed-in operator; the forms they post to are in
`server.routes.dashboard_forms`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    StreamingResponse,
)

from memory import UnknownCustomer
from memory.inbox import (
    escalation_counts,
    escalation_queue,
    list_customers,
    next_actions_board,
)
from server import views
from server.auth import Operator
from server.deps import MemoryDep, PageOperatorDep, RowId, SettingsDep
from server.live import LiveEvents
from server.services import Services
from server.templating import STATIC_DIR, templates

router = APIRouter(include_in_schema=False)
HEARTBEAT_SECONDS = 15.0
STATES = {"active": "Activos", "escalated": "Escalados", "opted_out": "No contactar"}
BOARD_TYPES = ("follow_up", "call")  # what the call analysis and the tools create


def live_events(request: Request) -> LiveEvents:
    live: LiveEvents | None = getattr(request.app.state, "live", None)
    if live is None:
        live = LiveEvents(request.app.state.services.memory.url)
        request.app.state.live = live
    return live


def _duration(value: timedelta) -> str:
    minutes = round(value.total_seconds() / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


async def render(request: Request, name: str, operator: Operator, **context: Any) -> HTMLResponse:
    """A page, with what every page shows: the operator, the time zone, and in the navigation
    the escalations waiting for someone (and past the SLA) and the SLA itself."""
    services: Services = request.app.state.services
    sla = services.settings.escalation_sla
    counts = await escalation_counts(services.memory, sla_seconds=sla.total_seconds())
    context.update(
        operator=operator,
        csrf_token=operator.csrf_token,
        timezone=services.settings.timezone,
        states=STATES,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        nav={
            "waiting": counts.waiting,
            "taken": counts.taken,
            "past_sla": counts.past_sla,
            "sla": _duration(sla),
        },
    )
    return templates.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse)
async def conversations(
    request: Request,
    operator: PageOperatorDep,
    memory: MemoryDep,
    q: str | None = Query(None, max_length=100),
    state: str | None = Query(None, pattern="^(active|escalated|opted_out)$"),
) -> HTMLResponse:
    rows = await list_customers(memory, query=q, state=state, limit=100)  # type: ignore[arg-type]
    return await render(
        request,
        "conversations.html",
        operator,
        customers=[views.customer_row(r) for r in rows],
        q=q or "",
        state=state or "",
        page="conversations",
    )


@router.get("/escalations", response_class=HTMLResponse)
async def escalations(
    request: Request,
    operator: PageOperatorDep,
    memory: MemoryDep,
) -> HTMLResponse:
    queue = await escalation_queue(memory)
    return await render(
        request,
        "escalations.html",
        operator,
        queue=[views.queue_item(i) for i in queue],
        page="escalations",
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer_page(
    request: Request,
    customer_id: RowId,
    operator: PageOperatorDep,
    memory: MemoryDep,
    settings: SettingsDep,
) -> HTMLResponse:
    try:
        profile = await views.customer_profile(memory, customer_id)
    except UnknownCustomer:
        raise HTTPException(404, f"no customer {customer_id}") from None
    thread = await views.customer_timeline(memory, customer_id, limit=300)
    return await render(
        request,
        "customer.html",
        operator,
        customer=profile,
        items=thread["items"],
        insights=thread["insights"],
        request_id=uuid.uuid4().hex,
        template_configured=bool(settings.twilio_followup_content_sid),
        page="conversations",
    )


@router.get("/actions", response_class=HTMLResponse)
async def actions_board(
    request: Request,
    operator: PageOperatorDep,
    memory: MemoryDep,
    overdue: bool = Query(False),
    type: str | None = Query(None, pattern=r"^[a-z_]{0,30}$"),
    customer: str | None = Query(None, max_length=100),
) -> HTMLResponse:
    actions = await next_actions_board(
        memory, overdue=overdue, type=type or None, customer=customer
    )
    return await render(
        request,
        "actions.html",
        operator,
        actions=[views.board_action(a) for a in actions],
        filters={"overdue": overdue, "type": type or "", "customer": customer or ""},
        types=sorted({*BOARD_TYPES, *([type] if type else [])}),
        page="actions",
    )


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    """The icon browsers ask for on their own (the pages also link /static/favicon.svg)."""
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


# Live updates ----------------------------------------------------------------------------------


@router.get("/events")
async def events(
    request: Request,
    operator: PageOperatorDep,
    live: LiveEvents = Depends(live_events),
) -> StreamingResponse:
    """Server-sent events: every new message and escalation change (ids and states only)."""

    async def stream() -> AsyncIterator[str]:
        async with live.subscribe() as queue:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {event.get('type', 'update')}\ndata: {json.dumps(event)}\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
