"""Probes: `/healthz` (the process answers) and `/readyz` (database and embeddings work)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from server.deps import get_services
from server.services import Services

router = APIRouter(tags=["probes"])
log = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: Services = Depends(get_services)) -> JSONResponse:
    checks: dict[str, Any] = {}
    ok = True
    try:
        async with asyncio.timeout(2):
            async with services.memory.pool.connection(timeout=2) as conn:
                await conn.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        ok = False
        checks["database"] = f"unavailable: {type(exc).__name__}"
        log.warning("readiness: database unavailable", extra={"error": type(exc).__name__})
    try:
        vector = await services.memory.embeddings.aembed_query("hola")
        checks["embeddings"] = (
            "ok" if len(vector) == services.memory.embeddings.dimensions else "wrong dimension"
        )
        ok = ok and checks["embeddings"] == "ok"
    except Exception as exc:
        ok = False
        checks["embeddings"] = f"unavailable: {type(exc).__name__}"
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )
