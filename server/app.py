"""The FastAPI application: `create_app(settings)` wires services and routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib.metadata import version

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from psycopg_pool import PoolTimeout

from channels.elevenlabs import InvalidPayload
from config import Settings
from memory import InvalidInput, InvalidPhone
from memory.errors import DatabaseUnavailable
from memory.events import EventNotRetryable
from memory.text import clean_value
from server import docs, handoff, openapi
from server.auth import NotSignedIn, login_url
from server.body_limit import BodyLimit
from server.logging_setup import configure_logging
from server.metrics import RequestMetrics
from server.metrics import router as metrics_router
from server.routes import (
    api,
    auth,
    dashboard,
    dashboard_forms,
    elevenlabs,
    events,
    health,
    llm,
    media,
    twilio,
)
from server.security_headers import SecurityHeaders
from server.services import Services, start_services
from server.templating import STATIC_DIR

log = logging.getLogger(__name__)


def app_from_environment() -> FastAPI:
    """The app for `hilo serve --workers N` (uvicorn imports it in each worker process)."""
    settings = Settings()
    configure_logging(settings.log_format)
    return create_app(settings)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app. With `services`, the caller owns start-up and shutdown (tests, demo)."""
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or await start_services(settings)
        if own and settings.run_worker:
            await app.state.services.start_worker()
        try:
            yield
        finally:
            live = getattr(app.state, "live", None)
            if live is not None:
                await live.stop()
            if own:
                await app.state.services.close()

    app = FastAPI(
        title="Hilo",
        version=version("hilo"),  # pyproject.toml is the one place it is written
        summary="One conversation thread per customer across calls, WhatsApp and humans.",
        lifespan=lifespan,
        docs_url=None,  # served offline by server.docs
        redoc_url=None,
    )
    app.openapi = partial(openapi.describe, app)  # type: ignore[method-assign]
    app.state.settings = settings
    if services is not None:
        app.state.services = services
    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(twilio.router)
    app.include_router(media.router)
    app.include_router(elevenlabs.router)
    app.include_router(llm.router)
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_forms.router)
    app.include_router(events.api)
    app.include_router(events.pages)
    app.include_router(docs.router)
    docs.mount_docs_assets(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestMetrics)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(handoff.UnknownEscalation)
    @app.exception_handler(EventNotRetryable)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(handoff.HandoffError)
    async def handoff_refused(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidInput)
    @app.exception_handler(InvalidPhone)
    @app.exception_handler(InvalidPayload)
    async def invalid_input(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer, but its echo of the input cleaned: a lone surrogate in it made
        # the 422 itself fail to encode (a 500).
        detail = clean_value(jsonable_encoder(exc.errors()))
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(DatabaseUnavailable)
    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        # Nothing was stored: 503 asks Twilio and ElevenLabs to deliver again later, and the
        # event's idempotency key makes that later delivery count once.
        log.warning(
            "database unavailable; answered 503",
            extra={"path": request.url.path, "error": type(exc).__name__},
        )
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(NotSignedIn)
    async def sign_in_first(request: Request, exc: NotSignedIn) -> RedirectResponse:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    return app
