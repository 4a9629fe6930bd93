"""Probes: `/healthz` (the process answers) and `/readyz` (database, embeddings, worker)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from memory.database import check_pool
from memory.errors import DatabaseUnavailable
from server.deps import ServicesDep

router = APIRouter(tags=["probes"])
log = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when the database answers a vector query, the embeddings embed, and (where this
    process runs one) the job worker is alive. A part that is not ready is named."""
    checks: dict[str, Any] = {}
    try:
        await check_pool(services.memory.pool)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = (
            f"unavailable: {exc if isinstance(exc, DatabaseUnavailable) else type(exc).__name__}"
        )
        log.warning("readiness: database unavailable", extra={"error": type(exc).__name__})
    try:
        vector = await services.memory.embeddings.aembed_query("hola")
        dims = services.memory.embeddings.dimensions
        checks["embeddings"] = "ok" if len(vector) == dims else "wrong dimension"
    except Exception as exc:
        checks["embeddings"] = f"unavailable: {type(exc).__name__}"
    worker = services.worker
    if worker is not None:
        state = worker.supervisor.state
        if worker.alive:
            checks["worker"] = "ok" if state == "running" else state
        else:
            checks["worker"] = f"failed: {worker.supervisor.last_error or 'stopped'}"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )
