"""Calendars of meetings over HTTP, every .ics parsed back with icalendar: one meeting, a group's feed and the
personal secret feed (who sees what, join-link secrecy, a replaced or revoked secret, a disabled owner, a guessed
secret), and the four capitals on the meeting page across a change of daylight saving time."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.auth.service import principal_for
from app.core.db import utcnow
from app.core.errors import Forbidden, NotFound
from app.groups import service as groups
from app.groups.models import MembershipRole, WorkingGroup
from app.meetings import feed_service
from app.meetings.models import Meeting, MeetingMode
from app.users.models import Role, User, UserStatus
from tests.meetings.helpers import JOIN_LINK, make_meeting
from tests.support.sessions import CSRF_TOKEN

FEED_URL = re.compile(r"https?://[^\s<\"]+/calendar/([A-Za-z0-9_-]+)\.ics")


class People:
    def __init__(self, make_user: Callable[..., User]) -> None:
        self.chair = make_user(Role.delegate, "US", name="Chair Person")
        self.member = make_user(Role.delegate, "JP", name="Hanako Member")
        self.outsider = make_user(Role.delegate, "IN", name="Outside Delegate")  # reads quad content, not a member
        self.secretariat = make_user(Role.secretariat, None, name="Sam Secretariat")
        self.industry = make_user(Role.industry, "US", name="Ivy Industry")


@pytest.fixture
def people(make_user: Callable[..., User]) -> People:
    return People(make_user)


@pytest.fixture
def group(make_group: Callable[..., WorkingGroup], people: People) -> WorkingGroup:
    return make_group("chips-feed", (people.chair, MembershipRole.chair), (people.member, MembershipRole.member))


def events(response: httpx.Response) -> dict[str, Any]:
    """The VEVENTs of a calendar answer by UID (after checking it is a calendar)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "x-cache" not in response.headers
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(base_url: str, meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{urlsplit(base_url).hostname}"


def fetch(base_url: str, path: str) -> httpx.Response:
    """As a calendar program fetches: no cookie, no token."""
    return httpx.get(base_url + path, timeout=30)


# One meeting ------------------------------------------------------------------------------------------------------


def test_a_meeting_keeps_its_uid_while_sequence_grows_and_a_cancellation_shows(
    db: Session, base_url: str, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, visibility=Visibility.group)
    member = browser_as(people.member)
    first = events(member.get(f"/meetings/{meeting.id}.ics"))
    event = first[uid(base_url, meeting)]
    assert int(event["SEQUENCE"]) == meeting.sequence
    assert event["DTSTART"].dt == meeting.starts_at.astimezone(UTC)
    assert event["DTSTART"].dt.tzinfo is not None and event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert JOIN_LINK in str(event["DESCRIPTION"])

    chair = api_as(people.chair)
    assert chair.patch(f"/api/v1/meetings/{meeting.id}", json={"title": "Round 3, moved"}).status_code == 200
    renamed = events(member.get(f"/meetings/{meeting.id}.ics"))[uid(base_url, meeting)]
    assert str(renamed["SUMMARY"]) == "Round 3, moved"
    assert int(renamed["SEQUENCE"]) > int(event["SEQUENCE"])

    assert chair.patch(f"/api/v1/meetings/{meeting.id}", json={"status": "cancelled"}).status_code == 200
    cancelled = events(member.get(f"/meetings/{meeting.id}.ics"))[uid(base_url, meeting)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(renamed["SEQUENCE"])


def test_a_meeting_calendar_for_each_kind_of_reader(
    db: Session, base_url: str, browser_as: Any, client: httpx.Client, people: People, group: WorkingGroup
) -> None:
    closed = make_meeting(db, group, visibility=Visibility.group)
    quad = make_meeting(db, group, visibility=Visibility.quad)
    public = make_meeting(db, group, visibility=Visibility.public)
    for who in (people.member, people.chair, people.secretariat):  # invitees: the join link is theirs
        for meeting in (closed, quad, public):
            body = browser_as(who).get(f"/meetings/{meeting.id}.ics")
            assert JOIN_LINK in str(events(body)[uid(base_url, meeting)]["DESCRIPTION"])
    outsider = browser_as(people.outsider)
    assert outsider.get(f"/meetings/{closed.id}.ics").status_code == 404
    for meeting in (quad, public):  # readable, but not invited
        response = outsider.get(f"/meetings/{meeting.id}.ics")
        assert uid(base_url, meeting) in events(response)
        assert JOIN_LINK not in response.text
    for meeting in (closed, quad):
        assert browser_as(people.industry).get(f"/meetings/{meeting.id}.ics").status_code == 404
        # Signed out: the sign-in redirect, as for the meeting's page, the same whether the meeting exists or not.
        assert client.get(f"/meetings/{meeting.id}.ics").status_code == 303
    anonymous = client.get(f"/meetings/{public.id}.ics")
    assert uid(base_url, public) in events(anonymous) and JOIN_LINK not in anonymous.text
    assert client.get("/meetings/999999.ics").status_code == 303
    assert browser_as(people.member).get("/meetings/999999.ics").status_code == 404


# A group's feed ---------------------------------------------------------------------------------------------------


def test_a_group_feed_lists_what_the_caller_may_read_from_a_month_ago(
    db: Session, base_url: str, browser_as: Any, client: httpx.Client, people: People, group: WorkingGroup
) -> None:
    closed = make_meeting(db, group, visibility=Visibility.group)
    quad = make_meeting(db, group, visibility=Visibility.quad)
    public = make_meeting(db, group, visibility=Visibility.public, mode=MeetingMode.virtual)
    last_week = make_meeting(db, group, visibility=Visibility.public, starts_at=utcnow() - timedelta(days=7))
    long_ago = make_meeting(db, group, visibility=Visibility.public, starts_at=utcnow() - timedelta(days=40))
    path = f"/groups/{group.slug}/meetings.ics"

    member = browser_as(people.member).get(path)
    assert set(events(member)) == {uid(base_url, m) for m in (closed, quad, public, last_week)}
    assert JOIN_LINK in member.text.replace("\r\n ", "")  # unfolded lines

    outsider = browser_as(people.outsider).get(path)
    assert set(events(outsider)) == {uid(base_url, m) for m in (quad, public, last_week)}
    assert JOIN_LINK not in outsider.text.replace("\r\n ", "")

    anonymous = client.get(path)
    assert set(events(anonymous)) == {uid(base_url, m) for m in (public, last_week)}
    assert JOIN_LINK not in anonymous.text.replace("\r\n ", "")
    assert uid(base_url, long_ago) not in anonymous.text
    assert browser_as(people.member).get("/groups/no-such-group/meetings.ics").status_code == 404


# The personal feed ------------------------------------------------------------------------------------------------


def _make_feed_on_the_page(http: httpx.Client) -> str:
    page = http.post("/profile/calendar", data={"csrf_token": CSRF_TOKEN})
    assert page.status_code == 200, page.text
    found = FEED_URL.search(page.text)
    assert found, "the page shows the new address"
    return f"/calendar/{found.group(1)}.ics"


def test_the_personal_feed_lists_my_groups_meetings_without_a_session(
    db: Session,
    base_url: str,
    browser_as: Any,
    make_group: Callable[..., WorkingGroup],
    people: People,
    group: WorkingGroup,
) -> None:
    mine = make_meeting(db, group, visibility=Visibility.group)
    other_group = make_group("other-feed", (people.chair, MembershipRole.chair))
    not_mine = make_meeting(db, other_group, visibility=Visibility.public)
    member = browser_as(people.member)
    assert "no working feed address" in member.get("/profile/calendar").text
    path = _make_feed_on_the_page(member)
    assert "You have a working feed address" in member.get("/profile/calendar").text

    response = fetch(base_url, path)
    assert set(events(response)) == {uid(base_url, mine)}, "only the groups I belong to"
    assert JOIN_LINK in response.text.replace("\r\n ", "")
    assert uid(base_url, not_mine) not in response.text

    # The owner's access as it is now: out of the group, its meetings leave the feed.
    groups.remove_member(db, SYSTEM, group, people.member.id)
    db.commit()
    assert events(fetch(base_url, path)) == {}


def test_a_replaced_revoked_or_guessed_secret_answers_404(
    db: Session, base_url: str, browser_as: Any, api_as: Any, people: People, group: WorkingGroup
) -> None:
    make_meeting(db, group, visibility=Visibility.group)
    member = browser_as(people.member)
    first = _make_feed_on_the_page(member)
    second = _make_feed_on_the_page(member)
    assert fetch(base_url, first).status_code == 404, "a new address stops the old one"
    assert fetch(base_url, second).status_code == 200

    secret = second.removeprefix("/calendar/").removesuffix(".ics")
    guessed = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert fetch(base_url, f"/calendar/{guessed}.ics").status_code == 404
    assert fetch(base_url, "/calendar/short.ics").status_code in (404, 422)
    # Another person's address is theirs alone: the chair's own feed does not open the member's.
    chair_path = _make_feed_on_the_page(browser_as(people.chair))
    assert chair_path != second and fetch(base_url, second).status_code == 200

    revoked = member.post("/profile/calendar/revoke", data={"csrf_token": CSRF_TOKEN})
    assert revoked.status_code == 303
    assert fetch(base_url, second).status_code == 404
    assert "no working feed address" in member.get("/profile/calendar").text
    assert fetch(base_url, chair_path).status_code == 200, "revoking mine leaves the chair's alone"


def test_a_disabled_owner_feed_answers_404(
    db: Session, base_url: str, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    path = _make_feed_on_the_page(browser_as(people.member))
    assert fetch(base_url, path).status_code == 200
    user = db.get(User, people.member.id)
    assert user is not None
    user.status = UserStatus.disabled
    db.commit()
    assert fetch(base_url, path).status_code == 404


def test_the_api_makes_and_revokes_the_feed(
    db: Session, base_url: str, api_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, visibility=Visibility.quad)
    http = api_as(people.member)
    made = http.post("/api/v1/me/calendar-feed")
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert url.startswith(base_url) and FEED_URL.fullmatch(url)
    assert uid(base_url, meeting) in events(httpx.get(url, timeout=30))
    assert http.delete("/api/v1/me/calendar-feed").status_code == 204
    assert httpx.get(url, timeout=30).status_code == 404
    assert http.delete("/api/v1/me/calendar-feed").status_code == 204, "nothing left to revoke is not an error"


def test_the_service_rules(db: Session, make_user: Callable[..., User], people: People) -> None:
    pending = make_user(Role.delegate, "AU", status=UserStatus.pending)
    with pytest.raises(Forbidden):
        feed_service.create_feed(db, principal_for(db, pending))
    with pytest.raises(Forbidden):
        feed_service.revoke_feed(db, principal_for(db, pending))
    _, secret = feed_service.create_feed(db, principal_for(db, people.industry))
    assert feed_service.feed_owner(db, secret).user_id == people.industry.id
    with pytest.raises(NotFound):
        feed_service.feed_owner(db, secret + "x")


# The four capitals --------------------------------------------------------------------------------------------------


def _capitals_rows(html: str) -> dict[str, str]:
    table = html.split('class="cards-on-small capitals-strip"', 1)[1].split("</table>", 1)[0]
    assert "<caption>" in table and 'scope="col"' in table
    rows = re.findall(r'<th scope="row"[^>]*>([^<]+)</th>(.*?)</tr>', table, re.S)
    return {city: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells)).strip() for city, cells in rows}


def test_the_four_capitals_across_washingtons_change_to_daylight_time(
    db: Session, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    # 14:00 UTC: 09:00 in Washington before 10 March 2030 (EST), 10:00 after (EDT); in Tokyo 23:00 the same day;
    # in Canberra 01:00 the next day (AEDT).
    before = make_meeting(db, group, starts_at=datetime(2030, 3, 8, 14, tzinfo=UTC), hours=1)
    after = make_meeting(db, group, starts_at=datetime(2030, 3, 11, 14, tzinfo=UTC), hours=1)
    chair = browser_as(people.chair)  # a US delegate: the page's clock is Washington's

    rows = _capitals_rows(chair.get(f"/meetings/{before.id}").text)
    assert list(rows) == ["Washington", "Tokyo", "Canberra", "New Delhi"]
    assert "9:00" in rows["Washington"] and "EST" in rows["Washington"]
    assert "Within working hours" in rows["Washington"] and "different date" not in rows["Washington"]
    assert "11:00" in rows["Tokyo"] and "Outside working hours by 240 min" in rows["Tokyo"]
    assert "A different date from yours" in rows["Canberra"] and "AEDT" in rows["Canberra"]
    assert "7:30" in rows["New Delhi"] and "Outside working hours by 30 min" in rows["New Delhi"]

    rows = _capitals_rows(chair.get(f"/meetings/{after.id}").text)
    assert "10:00" in rows["Washington"] and "EDT" in rows["Washington"]
    assert "11:00" in rows["Tokyo"], "Tokyo keeps no daylight time"

    japanese = browser_as(people.member).get(f"/meetings/{before.id}", headers={"Accept-Language": "ja"}).text
    assert "東京" in japanese and "キャンベラ" in japanese
