"""The .ics output, parsed back with the icalendar package: every property, a cancelled event, awkward text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from app.meetings.calendar import PRODUCT_ID, CalendarEntry, calendar_bytes

TOKYO = timezone(timedelta(hours=9))
AWKWARD = "Agenda: export controls, 5G; supply chains\nSecond line, with “quotes” and a back\\slash\n半導体作業部会の第3回会合"

ENTRY = CalendarEntry(
    uid="meeting-42@quad-dialogue.example",
    sequence=3,
    title="Semiconductors, 5G; and 日本語の会合",
    description=AWKWARD,
    starts_at=datetime(2026, 3, 9, 22, 0, tzinfo=TOKYO),  # 13:00 UTC
    ends_at=datetime(2026, 3, 9, 23, 30, 15, 999, tzinfo=TOKYO),
    status="CONFIRMED",
    location="Canberra, ACT; Room 3\n(hybrid)",
    url="https://quad-dialogue.example/meetings/42?tab=agenda,minutes",
    updated_at=datetime(2026, 3, 1, 8, 15, tzinfo=UTC),
)
CANCELLED = replace(ENTRY, uid="meeting-43@quad-dialogue.example", sequence=5, status="CANCELLED", description="")
STAMP = datetime(2026, 3, 2, 9, 30, 12, 345678, tzinfo=UTC)


def parsed(*entries: CalendarEntry, name: str = "Semiconductors Working Group") -> Calendar:
    return Calendar.from_ical(calendar_bytes(entries, name, stamped_at=STAMP))


def test_the_calendar_properties() -> None:
    raw = calendar_bytes([ENTRY], "半導体作業部会", stamped_at=STAMP)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    calendar = Calendar.from_ical(raw)
    assert str(calendar["PRODID"]) == PRODUCT_ID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "半導体作業部会"


def test_every_event_property_comes_back() -> None:
    [event] = parsed(ENTRY).walk("VEVENT")
    assert str(event["UID"]) == "meeting-42@quad-dialogue.example"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["SUMMARY"]) == "Semiconductors, 5G; and 日本語の会合"
    assert str(event["DESCRIPTION"]) == AWKWARD
    assert str(event["LOCATION"]) == "Canberra, ACT; Room 3\n(hybrid)"
    assert str(event["URL"]) == "https://quad-dialogue.example/meetings/42?tab=agenda,minutes"
    assert event.decoded("DTSTART") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 3, 9, 14, 30, 15, tzinfo=UTC)  # to the second
    assert event.decoded("DTSTAMP") == datetime(2026, 3, 2, 9, 30, 12, tzinfo=UTC)
    assert event.decoded("LAST-MODIFIED") == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)


def test_times_are_written_in_utc_with_z() -> None:
    text = calendar_bytes([ENTRY], "g", stamped_at=STAMP).decode()
    assert "DTSTART:20260309T130000Z\r\n" in text
    assert "DTEND:20260309T143015Z\r\n" in text
    assert "DTSTAMP:20260302T093012Z\r\n" in text
    assert "VTIMEZONE" not in text and "TZID" not in text


def test_text_is_escaped_on_the_wire() -> None:
    text = calendar_bytes([ENTRY], "g", stamped_at=STAMP).decode()
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Semiconductors\\, 5G\\; and 日本語の会合\r\n" in unfolded
    assert "LOCATION:Canberra\\, ACT\\; Room 3\\n(hybrid)\r\n" in unfolded
    assert "back\\\\slash" in unfolded


def test_a_cancelled_meeting_stays_in_the_feed_struck_out() -> None:
    calendar = parsed(ENTRY, CANCELLED)
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"meeting-42@quad-dialogue.example", "meeting-43@quad-dialogue.example"}
    cancelled = events["meeting-43@quad-dialogue.example"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 5
    assert str(cancelled["TRANSP"]) == "TRANSPARENT"
    assert "DESCRIPTION" not in cancelled  # an empty description is left out, not written empty


def test_the_same_meeting_keeps_its_uid_and_a_change_raises_the_sequence() -> None:
    first = parsed(ENTRY).walk("VEVENT")[0]
    moved = replace(
        ENTRY, sequence=4, starts_at=ENTRY.starts_at + timedelta(hours=1), ends_at=ENTRY.ends_at + timedelta(hours=1)
    )
    second = parsed(moved).walk("VEVENT")[0]
    assert first["UID"] == second["UID"]
    assert int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = parsed()
    assert calendar.walk("VEVENT") == []
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_dtstamp_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    event = Calendar.from_ical(calendar_bytes([ENTRY], "g")).walk("VEVENT")[0]
    assert before <= event.decoded("DTSTAMP") <= datetime.now(UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"uid": ""},
        {"uid": "a\r\nBEGIN:VEVENT"},
        {"sequence": -1},
        {"status": "TENTATIVE"},
        {"ends_at": ENTRY.starts_at},
        {"starts_at": datetime(2026, 3, 9, 13)},  # no zone
        {"updated_at": datetime(2026, 3, 1)},
    ],
)
def test_an_entry_that_would_make_a_wrong_calendar_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        replace(ENTRY, **changes)  # type: ignore[arg-type]
