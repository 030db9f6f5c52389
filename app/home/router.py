"""The home page, the language switcher and the site icon."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from app.access.policy import AnyPrincipal
from app.core.config import PROJECT_ROOT
from app.core.pagination import PageRequest
from app.core.routing import page_router, writes_audit
from app.documents import queries as documents
from app.groups import permissions as group_permissions
from app.groups import service as groups
from app.home import service as home_service
from app.users import service as users
from app.users.models import Role, UserStatus
from app.web.deps import AppSettings, DbSession
from app.web.templating import LANGUAGES, render
from app.web.urls import safe_next

pages = page_router()

FAVICON = PROJECT_ROOT / "static" / "favicon.svg"

HOME_GROUP_LIMIT = 50


@pages.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: AnyPrincipal, settings: AppSettings) -> HTMLResponse:
    listing = groups.list_groups(db, principal, limit=HOME_GROUP_LIMIT)
    all_groups = listing.groups
    mine = [g for g in all_groups if g.id in principal.group_ids]
    recent: list[home_service.NewsItem] = []
    since = None
    if group_permissions.can_see_members(principal):
        watched = list(principal.group_ids) or [g.id for g in all_groups]
        recent = home_service.whats_new(db, principal, watched, limit=10)
    account = users.get(db, principal.user_id) if principal.user_id is not None else None
    if principal.user_id is not None:
        since = users.record_home_visit(db, principal.user_id)
    context: dict[str, Any] = {
        "groups": all_groups,
        "group_total": listing.total,
        "member_counts": listing.member_counts,
        "my_groups": mine,
        "group_names": {g.id: g for g in all_groups},
        "recent": recent,
        "since": since,
        "can_create_group": group_permissions.can_manage(principal),
        "extracting": home_service.text_still_extracting(db, principal),
        "flagged": home_service.flagged_unmarked(db, principal),
        "waiting_since": account.created_at if account is not None and account.status is UserStatus.pending else None,
        "contact_email": settings.contact_email,
        "open_to_industry": None,
        "console": None,
    }
    if principal.is_active and principal.role is Role.industry:
        context["open_to_industry"] = home_service.public_documents(db, principal)
    if principal.is_staff:
        context["console"] = {
            "pending": users.pending_count(db),
            "screening": documents.screening_matches(db, principal, PageRequest(size=1)).total,
        }
    return render(request, "home.html", context)


@pages.get("/language", dependencies=[Depends(writes_audit)])
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
        if principal.user_id is not None and principal.language != lang:
            user = users.get(db, principal.user_id)
            if user is not None:
                users.set_preferences(db, user, language=lang)
    return RedirectResponse(safe_next(next), status_code=303)


@pages.get("/favicon.ico", include_in_schema=False)
def favicon(_: AnyPrincipal) -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links to; they get the same SVG icon."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
