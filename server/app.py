"""The FastAPI application: `create_app(settings)` wires services and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from config import Settings
from server.logging_setup import configure_logging
from server.routes import elevenlabs, health, twilio
from server.services import Services, start_services


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
            if own:
                await app.state.services.close()

    app = FastAPI(
        title="Hilo",
        version="0.1.0",
        summary="One conversation thread per customer across calls, WhatsApp and humans.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if services is not None:
        app.state.services = services
    app.include_router(health.router)
    app.include_router(twilio.router)
    app.include_router(elevenlabs.router)
    return app
