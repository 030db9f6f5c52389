"""Meetings for tests, made through the service as the system (the way the demo data is made)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.core.db import utcnow
from app.groups.models import WorkingGroup
from app.meetings import service
from app.meetings.models import AgendaItem, Meeting, MeetingMode

JOIN_LINK = "https://meet.example.gov/j/secret-room-4711"


def make_meeting(
    db: Session,
    group: WorkingGroup,
    *,
    title: str = "Supply chain principles, round 3",
    starts_at: datetime | None = None,
    hours: float = 2,
    mode: MeetingMode = MeetingMode.hybrid,
    visibility: Visibility = Visibility.quad,
    host_country: str = "JP",
    items: int = 0,
    published: bool = False,
) -> Meeting:
    starts = starts_at or utcnow().replace(microsecond=0) + timedelta(days=7)
    details = service.MeetingDetails(
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        host_country=host_country,
        mode=mode,
        visibility=visibility,
        venue="Ministry of Foreign Affairs, Tokyo" if mode.has_venue else "",
        join_link=JOIN_LINK if mode.has_join_link else "",
    )
    meeting = service.create_meeting(db, SYSTEM, group, details)
    for n in range(items):
        service.add_item(db, SYSTEM, meeting, service.ItemFields(title=f"Item {n + 1}", minutes=10))
    if published:
        service.publish_agenda(db, SYSTEM, meeting)
    db.commit()
    return meeting


def item_titles(db: Session, meeting: Meeting) -> list[str]:
    db.expire_all()
    return [item.title for item in db.query(AgendaItem).filter_by(meeting_id=meeting.id).order_by(AgendaItem.position)]
