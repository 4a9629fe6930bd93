"""Sign-in and sign-out for the dashboard, and API tokens for the signed-in operator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from memory.operators import create_token, delete_session, revoke_token
from server.auth import (
    FAILURE_WINDOW,
    SESSION_COOKIE,
    TooManyAttempts,
    authenticate,
    check_csrf_form,
    clear_session_cookie,
    login_redirect_target,
    new_token,
    secure_cookies,
    set_session_cookie,
    sha256,
    start_session,
)
from server.deps import MemoryDep, OperatorDep, PageOperatorDep, RowId
from server.login_form import LIFETIME_SECONDS, issue_login_token, login_token_is_valid
from server.routes.api import REFUSALS
from server.schemas import MeOut, TokenOut
from server.templating import templates

router = APIRouter()
LOGIN_COOKIE = "hilo_login"  # double-submit token of the sign-in form (login CSRF)
BAD_LOGIN = "Correo o contraseña incorrectos."


async def _login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    token = await issue_login_token(request.app.state.services.memory)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"next": next_path, "error": error, "login_token": token, "operator": None},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(request: Request, next: str = Query("/", max_length=500)) -> Response:
    return await _login_page(request, login_redirect_target(next), None, 200)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    memory: MemoryDep,
    email: str = Form(..., max_length=200),
    password: str = Form(..., max_length=500),
    login_token: str = Form(""),
    next: str = Form("/", max_length=500),
) -> Response:
    target = login_redirect_target(next)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not await login_token_is_valid(memory, login_token, cookie):
        expired = "El formulario caducó; vuelve a intentarlo."
        return await _login_page(request, target, expired, 403)
    try:
        address = request.client.host if request.client else "unknown"
        operator = await authenticate(memory, email, password, address)
    except TooManyAttempts:
        throttled = await _login_page(
            request, target, "Demasiados intentos. Espera unos minutos e inténtalo de nuevo.", 429
        )
        throttled.headers["Retry-After"] = str(int(FAILURE_WINDOW.total_seconds()))
        return throttled
    if operator is None:
        return await _login_page(request, target, BAD_LOGIN, 401)
    if previous := request.cookies.get(SESSION_COOKIE):
        # Signing in again replaces the session rather than leaving the old one alive.
        await delete_session(memory, sha256(previous))
    session_id, _ = await start_session(memory, operator)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, session_id)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(
    request: Request,
    operator: PageOperatorDep,
    memory: MemoryDep,
    csrf_token: str = Form(""),
) -> Response:
    check_csrf_form(request, operator, csrf_token)
    await delete_session(memory, sha256(request.cookies.get(SESSION_COOKIE, "")))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


class TokenIn(BaseModel):
    name: str = Field("api", min_length=1, max_length=100)


@router.get(
    "/api/me",
    tags=["operators"],
    summary="The signed-in operator",
    responses=REFUSALS,
    response_model=MeOut,
)
async def me(operator: OperatorDep) -> dict[str, Any]:
    return {"id": operator.id, "email": operator.email, "name": operator.name, "via": operator.via}


@router.post(
    "/api/tokens",
    status_code=201,
    tags=["operators"],
    summary="New API token",
    responses=REFUSALS,
    response_model=TokenOut,
)
async def make_token(
    operator: OperatorDep,
    memory: MemoryDep,
    body: TokenIn | None = None,
) -> dict[str, Any]:
    """A bearer token for the signed-in operator; shown once, stored only as a hash."""
    token = new_token()
    token_id = await create_token(memory, operator.id, sha256(token), body.name if body else "api")
    return {"id": token_id, "token": token}


@router.delete(
    "/api/tokens/{token_id}",
    status_code=204,
    tags=["operators"],
    summary="Revoke",
    responses={**REFUSALS, 404: {"description": "You have no live token with this id"}},
)
async def delete_token(
    token_id: RowId,
    operator: OperatorDep,
    memory: MemoryDep,
) -> Response:
    if not await revoke_token(memory, operator.id, token_id):
        raise HTTPException(404, f"you have no live token {token_id}")
    return Response(status_code=204)
