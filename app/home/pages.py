"""The home page, the language switcher and the site icon."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from app.access.policy import AnyPrincipal
from app.core.config import PROJECT_ROOT
from app.core.routing import page_router, writes_audit
from app.home import service
from app.users import service as users
from app.web.deps import AppSettings, DbSession, Page
from app.web.page_cache import cached_response
from app.web.templating import LANGUAGES, render
from app.web.urls import safe_next

pages = page_router()

FAVICON = PROJECT_ROOT / "static" / "favicon.svg"


@pages.get("/", response_class=HTMLResponse, name="home")
@cached_response
def home(request: Request, db: DbSession, page: Page, principal: AnyPrincipal, settings: AppSettings) -> HTMLResponse:
    context = {"home": service.dashboard(db, principal, page), "contact_email": settings.contact_email}
    return render(request, "home.html", context)


@pages.get("/language", dependencies=[Depends(writes_audit)], name="language")
def switch_language(
    request: Request,
    db: DbSession,
    principal: AnyPrincipal,
    lang: str = "",
    next: str | None = None,
) -> RedirectResponse:
    """The header's language links (plain links, so they work without JavaScript): back to the same page."""
    if lang in LANGUAGES:
        request.session["lang"] = lang
        if principal.is_authenticated and principal.language != lang:
            users.set_preferences(db, principal, language=lang)
    return RedirectResponse(safe_next(next), status_code=303)


@pages.get("/favicon.ico", include_in_schema=False, name="favicon")
def favicon(_: AnyPrincipal) -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links to; they get the same SVG icon."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
