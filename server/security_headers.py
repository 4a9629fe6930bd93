"""Security headers on every HTTP response: a strict Content-Security-Policy (scripts and styles
from this site only, no inline script or handler, no plugins, no framing, no `<base>`, forms
post here only), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and
`Referrer-Policy: same-origin`.

A pure ASGI middleware (not `BaseHTTPMiddleware`): it only adds headers to the response's
start message, so streamed bodies — the dashboard's server-sent events — pass through untouched.
The policy is the second line of defence behind escaping: if a customer's words ever became
markup, the browser would still refuse to run them. The API docs (`server.docs`) load Swagger
UI and ReDoc from this site, started by a script file: `/docs` has the site's policy, `/redoc`
also allows inline styles and a `blob:` worker (ReDoc needs them; it renders the app's own
OpenAPI schema, no customer data).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# ReDoc (`/redoc`, `server.docs`): its styled-components writes `<style>` elements and its
# search runs in a `blob:` worker. Scripts stay 'self'; Swagger UI at `/docs` needs nothing more
# than the site's own policy.
REDOC_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
POLICIES = {"/redoc": REDOC_CONTENT_SECURITY_POLICY}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Adds the headers to each response that does not set them itself."""

    def __init__(self, app: ASGIApp, policies: dict[str, str] = POLICIES) -> None:
        self.app = app
        self.policies = policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policies.get(scope["path"], CONTENT_SECURITY_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
