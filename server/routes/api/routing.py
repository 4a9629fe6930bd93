"""How every `/api` route is declared: under `/api`, behind the operator check, tagged for the
docs, with the refusals it may answer besides its own (OpenAPI `responses`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from server.auth import current_operator

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
MAX_OFFSET = 1_000_000  # deeper than any list an operator pages through


def operator_router() -> APIRouter:
    """A router for one resource of the operators' API (each route gets the prefix, the tag,
    the operator check and the refusals when it is declared)."""
    return APIRouter(
        prefix="/api",
        tags=["operators"],
        dependencies=[Depends(current_operator)],
        responses=REFUSALS,
    )
