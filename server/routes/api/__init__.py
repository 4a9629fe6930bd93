"""The operators' JSON API (`/api`): customers, timelines, next actions, escalations, replies.

Every route needs a signed-in operator: a bearer token (`Authorization: Bearer …`) or the
dashboard's session cookie (then writes carry the `X-CSRF-Token` header). Routes parse, call one
function of `server.handoff`, `server.views` or memory, and answer; domain errors become
404/409/422 with a message there. One module per resource, each router made by
`routing.operator_router` (the `/api` prefix, the operator check, the refusals): `customers`
(profiles, timelines, replies, hand to people), `actions` (next actions and the board),
`escalations` (the queue, take, reply, resolve).
"""

from __future__ import annotations

from fastapi import APIRouter

from server.routes.api import actions, customers, escalations
from server.routes.api.routing import REFUSALS

__all__ = ["REFUSALS", "router"]

router = APIRouter()
for resource in (customers, actions, escalations):
    router.include_router(resource.router)
