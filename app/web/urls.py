"""Addresses: safe sign-in targets, the sign-in redirect, and redirects to named routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response


def see_other(request: Request, route_name: str, /, **path_params: Any) -> RedirectResponse:
    """303 to a named route (after a form post), so an address lives only in its route's declaration."""
    return RedirectResponse(str(request.url_for(route_name, **path_params).path), status_code=303)


def safe_next(target: str | None) -> str:
    """Only paths on this site, so a sign-in link cannot send people elsewhere afterwards."""
    # Browsers drop tabs and newlines and read "\\" as "/", so "/\t/evil.example" would leave the site.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(char) < 0x21 or ord(char) == 0x7F for char in target)
    ):
        return target
    return "/"


def redirect_to_login(request: Request) -> Response:
    """To sign-in, and back afterwards: to this page, or for a form post (which cannot be replayed by a link) to
    the same-site page the form was on."""
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        target = _same_site_referer(request)
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _same_site_referer(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.scheme != request.url.scheme or referer.netloc != request.url.netloc:
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
