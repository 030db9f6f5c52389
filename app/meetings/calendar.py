"""RFC 5545 calendars (.ics) of meetings, built with the `icalendar` package.

Pure: callers (the meeting's .ics, a group's feed, a personal feed) turn meetings into `CalendarEntry` values
and get the bytes to send as `text/calendar`. Times are written in UTC (`...Z`), which every calendar program
reads without a VTIMEZONE; each program then shows them in its owner's zone.

What makes a calendar program update an event instead of adding a second one: the same UID for the life of a
meeting, and a SEQUENCE that grows with every change (the meeting keeps the counter; it is passed in here). A
cancelled meeting stays in the feed with STATUS:CANCELLED, so subscribers see it struck out rather than vanish.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from icalendar import Calendar, Event

PRODUCT_ID = "-//Quad Dialogue//Meetings//EN"
EntryStatus = Literal["CONFIRMED", "CANCELLED"]
STATUSES: frozenset[str] = frozenset({"CONFIRMED", "CANCELLED"})


@dataclass(frozen=True)
class CalendarEntry:
    uid: str  # stable for the life of the meeting, e.g. "meeting-42@quad-dialogue.example"
    sequence: int  # 0 at creation, one more at every change
    title: str
    description: str
    starts_at: datetime  # aware; written in UTC
    ends_at: datetime
    status: EntryStatus
    location: str
    url: str
    updated_at: datetime  # LAST-MODIFIED

    def __post_init__(self) -> None:
        if not self.uid or any(ch in self.uid for ch in "\r\n"):
            raise ValueError("a calendar entry needs a one-line UID")
        if self.sequence < 0:
            raise ValueError("SEQUENCE starts at 0")
        if self.status not in STATUSES:
            raise ValueError(f"STATUS must be one of {sorted(STATUSES)}")
        if _utc(self.ends_at) <= _utc(self.starts_at):
            raise ValueError("an event ends after it starts")
        _utc(self.updated_at)


def _utc(moment: datetime) -> datetime:
    """In UTC, to the second (iCalendar has no fractions of a second)."""
    if moment.tzinfo is None:
        raise ValueError("calendar times must carry their zone")
    return moment.astimezone(UTC).replace(microsecond=0)


def _event(entry: CalendarEntry, stamped_at: datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamped_at)
    event.add("sequence", entry.sequence)
    event.add("dtstart", _utc(entry.starts_at))
    event.add("dtend", _utc(entry.ends_at))
    event.add("last-modified", _utc(entry.updated_at))
    event.add("summary", entry.title)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    event.add("status", entry.status)
    # A cancelled meeting no longer blocks time in the subscriber's calendar.
    event.add("transp", "TRANSPARENT" if entry.status == "CANCELLED" else "OPAQUE")
    return event


def calendar_bytes(entries: Iterable[CalendarEntry], name: str, *, stamped_at: datetime | None = None) -> bytes:
    """A VCALENDAR (METHOD:PUBLISH) with one VEVENT per entry. `stamped_at` is DTSTAMP, when this copy was
    made (RFC 5545 3.8.7.2 for a calendar with METHOD); the moment of the call unless given."""
    stamp = _utc(stamped_at or datetime.now(UTC))
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # what older programs read instead
    for entry in entries:
        calendar.add_component(_event(entry, stamp))
    return calendar.to_ical()
