"""The API documentation pages, served offline: Swagger UI at `/docs` and ReDoc at `/redoc`.

FastAPI's own pages load both from a CDN and start them with an inline script, so offline they
are blank and under the site's CSP they would need `'unsafe-inline'`. Here the assets come from
the `fastapi-offline` wheel (Swagger UI 5 and ReDoc 2 files, nothing fetched at run time),
mounted at `/static/docs`, and each page starts its viewer from `server/static/docs-init.js`
(the schema's URL in a `data-` attribute): the pages hold no inline script at all.

The one thing the ReDoc bundle still fetches from elsewhere is its footer logo
(`https://cdn.redoc.ly/redoc/logo-mini.svg`): `/docs/redoc.standalone.js` serves the bundle with
that address blanked (an `<img>` with an empty `src` requests nothing and ReDoc then hides it), so
no page of Hilo's makes a request off the host.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from server.templating import templates

DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/docs"
REDOC_BUNDLE_URL = "/docs/redoc.standalone.js"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
router = APIRouter(include_in_schema=False)


def mount_docs_assets(app: FastAPI) -> None:
    """The viewers' files; mounted before `/static`, which would otherwise answer first."""
    app.mount(ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")


def _page(request: Request, viewer: str) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return templates.TemplateResponse(
        request,
        "docs.html",
        {
            "viewer": viewer,
            "title": f"{request.app.title} — {'API' if viewer == 'swagger' else 'ReDoc'}",
            "openapi_url": f"{root}{request.app.openapi_url}",
            "assets": f"{root}{ASSETS_URL}",
            "redoc_bundle": f"{root}{REDOC_BUNDLE_URL}",
            "static": f"{root}/static",
        },
    )


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "swagger")


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, "redoc")


@cache
def offline_redoc_bundle() -> bytes:
    """The ReDoc bundle with its CDN logo address blanked; read once. (A ReDoc that fetched
    something else would still be served: tests/dashboard/test_api_docs.py's browser test, which
    refuses every request off the host, is where that shows.)"""
    return (DOCS_ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO, b"")


@router.get(REDOC_BUNDLE_URL)
async def redoc_bundle() -> Response:
    return Response(
        offline_redoc_bundle(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )
