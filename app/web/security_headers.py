"""Security headers on every response (a pure ASGI middleware, so streaming responses keep streaming)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    form_action = " ".join(["'self'", *sorted(set(form_targets))])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(csp: str, https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


def is_private_response(scope: Scope, status: int) -> bool:
    """Whether an answer must not be kept by browsers or proxies: every error, and every answer to a caller
    who is signed in (session) or presents credentials (Authorization header)."""
    if status >= 400:
        return True
    if any(name == b"authorization" for name, _ in scope.get("headers", ())):
        return True
    # The route's policy put the resolved principal on the request state before the response started.
    principal = scope.get("state", {}).get("principal")
    return bool(getattr(principal, "is_authenticated", False))


class SecurityHeadersMiddleware:
    """The fixed headers on every response, and `Cache-Control: no-store` on private ones (see
    is_private_response) unless the route chose its own Cache-Control (downloads do)."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if is_private_response(scope, message["status"]):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
