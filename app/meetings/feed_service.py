"""Meetings as calendars: one meeting's .ics, a working group's feed, and each person's secret feed.

A calendar shows what its reader may read, as the pages do: the meeting's visibility decides, and the join link
is written only for the people invited (`MeetingAction.see_join_link`), never for anyone else in a group feed.
The personal feed has no session behind it (calendar programs fetch it on their own): the secret names the
owner, and the owner's access is worked out afresh from the database on every fetch, so a revoked feed or a
disabled account answers 404 at once and a person who left a group stops seeing its meetings.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from app.access.principal import Principal
from app.audit.service import record
from app.auth.service import hash_token, principal_for
from app.core.db import utcnow
from app.core.errors import N_, NotFound
from app.groups.models import WorkingGroup
from app.meetings.calendar import CalendarEntry, calendar_bytes
from app.meetings.feed_events import CalendarFeedEvent
from app.meetings.feed_models import CalendarFeed
from app.meetings.feed_permissions import FeedAction, feed_rules
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.permissions import MeetingAction, rules
from app.users.models import User, UserStatus

# A feed shows the recent past (last month's meeting stays in the calendar) and everything ahead, up to a cap
# that keeps one fetch cheap whatever the history.
FEED_PAST = timedelta(days=30)
FEED_LIMIT = 500
CALENDAR_PRODUCT = "Quad Dialogue"


# Calendar entries -------------------------------------------------------------------------------------------------


def meeting_uid(meeting_id: int, base_url: str) -> str:
    """The same for the life of the meeting (so a calendar program updates its event instead of adding one)."""
    return f"meeting-{meeting_id}@{urlsplit(base_url).hostname or 'localhost'}"


def meeting_entry(principal: Principal, meeting: Meeting, base_url: str) -> CalendarEntry:
    """The meeting as this reader's calendar shows it."""
    page = f"{base_url.rstrip('/')}/meetings/{meeting.id}"
    join_link = meeting.join_link if rules.allows(principal, MeetingAction.see_join_link, meeting) else None
    lines = [meeting.group.name, page]
    if join_link:
        lines.append(f"Join: {join_link}")
    return CalendarEntry(
        uid=meeting_uid(meeting.id, base_url),
        sequence=meeting.sequence,
        title=meeting.title,
        description="\n".join(lines),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        status="CANCELLED" if meeting.status is MeetingStatus.cancelled else "CONFIRMED",
        location=meeting.venue or join_link or "",
        url=page,
        updated_at=meeting.updated_at,
    )


def calendar_of(principal: Principal, meetings: Sequence[Meeting], name: str, base_url: str) -> bytes:
    return calendar_bytes((meeting_entry(principal, m, base_url) for m in meetings), f"{name} · {CALENDAR_PRODUCT}")


def _feed_meetings(session: Session, principal: Principal, *group_ids: int) -> Sequence[Meeting]:
    if not group_ids:
        return []
    query = (
        select(Meeting)
        .options(joinedload(Meeting.group))
        .where(
            Meeting.readable_by(principal),
            Meeting.group_id.in_(group_ids),
            Meeting.ends_at >= utcnow() - FEED_PAST,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(FEED_LIMIT)
    )
    return session.scalars(query).all()


def group_calendar(session: Session, principal: Principal, group: WorkingGroup, base_url: str) -> bytes:
    """The group's meetings this principal may read (the caller has already been allowed to read the group)."""
    return calendar_of(principal, _feed_meetings(session, principal, group.id), group.name, base_url)


# Personal feeds ---------------------------------------------------------------------------------------------------


def active_feed(session: Session, user_id: int) -> CalendarFeed | None:
    return session.scalar(
        select(CalendarFeed).where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
    )


def _revoke_active(session: Session, user_id: int) -> int:
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def create_feed(session: Session, principal: Principal) -> tuple[CalendarFeed, str]:
    """A new secret address for the principal's own feed; the one they had stops working. Returns the feed and
    the secret, which is not stored and cannot be shown again."""
    feed_rules.require(principal, FeedAction.manage, principal.user_id or 0)
    assert principal.user_id is not None  # the rule admits signed-in people only
    replaced = _revoke_active(session, principal.user_id)
    raw = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=principal.user_id, token_hash=hash_token(raw))
    session.add(feed)
    session.flush()
    record(session, principal.user_id, CalendarFeedEvent.create, "user", principal.user_id, replaced=replaced)
    return feed, raw


def revoke_feed(session: Session, principal: Principal) -> bool:
    """Stops the principal's feed address; False when there was none working."""
    feed_rules.require(principal, FeedAction.manage, principal.user_id or 0)
    assert principal.user_id is not None  # the rule admits signed-in people only
    revoked = _revoke_active(session, principal.user_id) > 0
    if revoked:
        record(session, principal.user_id, CalendarFeedEvent.revoke, "user", principal.user_id)
    return revoked


def feed_owner(session: Session, secret: str) -> Principal:
    """Who a secret feed belongs to, as of now; 404 for an unknown or revoked secret or an account not active."""
    row = session.execute(
        select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token_hash == hash_token(secret))
    ).first()
    if row is None or row.CalendarFeed.revoked_at is not None or row.User.status is not UserStatus.active:
        raise NotFound(N_("no such calendar feed"))
    return principal_for(session, row.User)


def personal_calendar(session: Session, secret: str, base_url: str) -> bytes:
    """The meetings of every group the feed's owner belongs to that the owner may read today."""
    owner = feed_owner(session, secret)
    meetings = _feed_meetings(session, owner, *sorted(owner.group_ids))
    return calendar_of(owner, meetings, owner.display_name or "", base_url)
