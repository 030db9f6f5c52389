"""Who may call each calendar route (merged into the access matrix). The calendars answer whoever may read what
they list (a public meeting, the matrix group); the personal feed answers whoever holds its secret, signed in or
not; making and revoking a feed is for active accounts, each for itself."""

from __future__ import annotations

from app.auth.service import principal_for
from app.meetings import feed_service
from tests.meetings.matrix_rows import fresh_meeting
from tests.support.matrix import ACTIVE, EVERYONE, Row, World, page_row


def _secret_of(world: World, who: str) -> str:
    """A working feed secret of `who` (made through the service, as the person would)."""
    _, secret = feed_service.create_feed(world.db, principal_for(world.db, world.users[who]))
    world.db.commit()
    return secret


def _with_feed(path: str) -> object:
    """The path, after giving the caller a feed to revoke (so a permitted revocation changes something)."""

    def make(world: World, who: str) -> str:
        if who in ACTIVE:
            _secret_of(world, who)
        return path

    return make


ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/meetings/{meeting_id}.ics"): page_row(EVERYONE, 200, lambda w, p: f"/meetings/{fresh_meeting(w).id}.ics"),
    ("GET", "/groups/{slug}/meetings.ics"): page_row(
        EVERYONE, 200, lambda w, p: f"/groups/{w.group_slug}/meetings.ics"
    ),
    ("GET", "/calendar/{secret}.ics"): page_row(
        EVERYONE, 200, lambda w, p: f"/calendar/{_secret_of(w, 'us_delegate')}.ics"
    ),
    ("GET", "/profile/calendar"): page_row(ACTIVE, 200, "/profile/calendar"),
    ("POST", "/profile/calendar"): page_row(ACTIVE, 200, "/profile/calendar"),
    ("POST", "/profile/calendar/revoke"): page_row(ACTIVE, 303, _with_feed("/profile/calendar/revoke")),  # type: ignore[arg-type]
    ("POST", "/api/v1/me/calendar-feed"): Row(ACTIVE, 201, "/api/v1/me/calendar-feed", json={}),
    ("DELETE", "/api/v1/me/calendar-feed"): Row(ACTIVE, 204, _with_feed("/api/v1/me/calendar-feed"), json={}),  # type: ignore[arg-type]
}
