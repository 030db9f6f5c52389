"""Calendars (.ics) of meetings, and the pages and API that make or revoke a person's secret feed address.

- `GET /meetings/{id}.ics`: one meeting, for whoever may read it (404 otherwise).
- `GET /groups/{slug}/meetings.ics`: the group's meetings the caller may read.
- `GET /calendar/{secret}.ics`: the personal feed, read without a session by calendar programs; the secret is the
  only authority, checked with the owner's access as it is now (app.meetings.feed_service).

No answer here is kept by the page cache (none is marked `@cached_response`): a calendar is fetched by programs
that poll, and the personal feed must stop the moment it is revoked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request, status
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel

from app.access.policy import ActivePrincipal, AnyPrincipal, anyone
from app.access.principal import Principal
from app.core.errors import N_, NotFound
from app.core.routing import api_router, page_router
from app.meetings import feed_service
from app.meetings.deps import CalendarGroup, ReadableMeeting
from app.web.deps import DbSession
from app.web.forms import NO_ERRORS, form_page
from app.web.openapi import problems
from app.web.templating import flash, render
from app.web.urls import see_other

pages = page_router()
api = api_router(prefix="/api/v1/me", tags=["meetings"])

ICS_TYPE = "text/calendar; charset=utf-8"
TEMPLATE = "meetings/calendar_feed.html"
# token_urlsafe(32) gives 43 characters; anything else is not a secret this server made.
Secret = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.base_url)


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=ICS_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-cache"},
    )


def feed_url(request: Request, secret: str) -> str:
    return f"{_base_url(request).rstrip('/')}{request.app.url_path_for('meetings.personal_feed', secret=secret)}"


# Calendars --------------------------------------------------------------------------------------------------------


@pages.get("/meetings/{meeting_id}.ics", name="meetings.ics")
def meeting_ics(request: Request, meeting: ReadableMeeting, principal: AnyPrincipal) -> Response:
    body = feed_service.calendar_of(principal, [meeting], meeting.title, _base_url(request))
    return _ics(body, f"meeting-{meeting.id}.ics")


@pages.get("/groups/{slug}/meetings.ics", name="meetings.group_ics")
def group_ics(request: Request, group: CalendarGroup, db: DbSession, principal: AnyPrincipal) -> Response:
    return _ics(feed_service.group_calendar(db, principal, group, _base_url(request)), f"{group.slug}.ics")


# The session's principal plays no part: the secret alone says whose feed it is.
@pages.get("/calendar/{secret}.ics", name="meetings.personal_feed", dependencies=[Depends(anyone)])
def personal_ics(request: Request, secret: Secret, db: DbSession) -> Response:
    try:
        body = feed_service.personal_calendar(db, secret, _base_url(request))
    except NotFound:
        # A calendar program cannot sign in: a plain 404, never the sign-in redirect signed-out people get.
        return PlainTextResponse("Not Found", status_code=status.HTTP_404_NOT_FOUND)
    return _ics(body, "quad-dialogue.ics")


# Making and revoking the personal feed: the profile page ----------------------------------------------------------


def _feed_context(db: DbSession, principal: Principal) -> dict[str, Any]:
    assert principal.user_id is not None
    return {"feed": feed_service.active_feed(db, principal.user_id), "new_feed_url": None}


@pages.get("/profile/calendar", response_class=HTMLResponse, name="meetings.calendar_feed")
def calendar_feed_page(request: Request, db: DbSession, principal: ActivePrincipal) -> HTMLResponse:
    return render(request, TEMPLATE, {**_feed_context(db, principal), "errors": NO_ERRORS, "values": {}})


@pages.post("/profile/calendar", response_class=HTMLResponse, name="meetings.make_calendar_feed")
def make_calendar_feed(request: Request, db: DbSession, principal: ActivePrincipal) -> Response:
    """Shows the address on the page (not a redirect): only its hash is kept, so it is shown this once."""

    def make() -> Response:
        _, secret = feed_service.create_feed(db, principal)
        flash(request, N_("Your calendar feed address was made. Any earlier address no longer works."))
        context = {**_feed_context(db, principal), "new_feed_url": feed_url(request, secret)}
        return render(request, TEMPLATE, {**context, "errors": NO_ERRORS, "values": {}})

    return form_page(request, TEMPLATE, lambda: _feed_context(db, principal), make)


@pages.post("/profile/calendar/revoke", response_class=HTMLResponse, name="meetings.revoke_calendar_feed")
def revoke_calendar_feed(request: Request, db: DbSession, principal: ActivePrincipal) -> Response:
    def revoke() -> Response:
        if feed_service.revoke_feed(db, principal):
            flash(request, N_("Your calendar feed address was revoked. Calendars that use it get nothing more."))
        return see_other(request, "meetings.calendar_feed")

    return form_page(request, TEMPLATE, lambda: _feed_context(db, principal), revoke)


# ... and the API ---------------------------------------------------------------------------------------------------


class CalendarFeedOut(BaseModel):
    url: str  # the secret address; shown this once (only its hash is kept)
    created_at: datetime


@api.post(
    "/calendar-feed",
    name="meetings.api.make_calendar_feed",
    status_code=status.HTTP_201_CREATED,
    summary="Make a new secret calendar feed address for yourself (the previous one stops working)",
    responses=problems(403),
)
def api_make_calendar_feed(request: Request, db: DbSession, principal: ActivePrincipal) -> CalendarFeedOut:
    feed, secret = feed_service.create_feed(db, principal)
    return CalendarFeedOut(url=feed_url(request, secret), created_at=feed.created_at.astimezone(UTC))


@api.delete(
    "/calendar-feed",
    name="meetings.api.revoke_calendar_feed",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke your calendar feed address (nothing to do when there is none)",
    responses=problems(403),
)
def api_revoke_calendar_feed(db: DbSession, principal: ActivePrincipal) -> Response:
    feed_service.revoke_feed(db, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
