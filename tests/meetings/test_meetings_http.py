"""Meetings over HTTP: scheduling and its 422s, join-link secrecy on every path, the agenda's states, versions and
order, linked documents by the documents' rule, and attendance by delegation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.core.db import utcnow
from app.groups.models import MembershipRole, WorkingGroup
from app.meetings import service
from app.meetings.models import MeetingMode
from app.users.models import Role, User
from tests.meetings.helpers import JOIN_LINK, item_titles, make_meeting
from tests.support.documents import make_document
from tests.support.sessions import CSRF_TOKEN

M = "/api/v1/meetings"


class People:
    def __init__(self, make_user: Callable[..., User]) -> None:
        self.chair = make_user(Role.delegate, "US", name="Chair Person")
        self.jp_member = make_user(Role.delegate, "JP", name="Hanako Member")
        self.au_member = make_user(Role.delegate, "AU", name="Olivia Member")
        self.outsider = make_user(Role.delegate, "IN", name="Outside Delegate")  # reads quad content, not a member
        self.secretariat = make_user(Role.secretariat, None, name="Sam Secretariat")
        self.industry = make_user(Role.industry, "US", name="Ivy Industry")


@pytest.fixture
def people(make_user: Callable[..., User]) -> People:
    return People(make_user)


@pytest.fixture
def group(make_group: Callable[..., WorkingGroup], people: People) -> WorkingGroup:
    return make_group(
        "chips-meet",
        (people.chair, MembershipRole.chair),
        (people.jp_member, MembershipRole.member),
        (people.au_member, MembershipRole.member),
    )


def _new(group: WorkingGroup, **overrides: Any) -> dict[str, Any]:
    body = {
        "group": group.slug,
        "title": "Semiconductor supply chains",
        "starts_at": "2027-03-14T09:00:00",
        "ends_at": "2027-03-14T11:00:00",
        "time_zone": "Asia/Tokyo",
        "host_country": "JP",
        "mode": "hybrid",
        "venue": "Tokyo",
        "join_link": JOIN_LINK,
        "visibility": "quad",
    }
    return {**body, **overrides}


def _form(http: httpx.Client, path: str, **data: Any) -> httpx.Response:
    return http.post(path, data={"csrf_token": CSRF_TOKEN, **data})


# Scheduling -----------------------------------------------------------------------------------------------------


def test_a_chair_schedules_a_meeting_stored_in_utc(api_as: Any, people: People, group: WorkingGroup) -> None:
    response = api_as(people.chair).post(M, json=_new(group))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["starts_at"].startswith("2027-03-14T00:00:00")  # 09:00 in Tokyo
    assert body["join_link"] == JOIN_LINK and body["agenda_state"] == "draft"


@pytest.mark.parametrize("who", ["jp_member", "outsider", "industry"])
def test_only_chairs_and_the_secretariat_schedule(api_as: Any, people: People, group: WorkingGroup, who: str) -> None:
    assert api_as(getattr(people, who)).post(M, json=_new(group)).status_code == 403
    assert api_as(people.secretariat).post(M, json=_new(group)).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2027-03-14T08:00:00"}, "ends_at"),
        ({"ends_at": "2027-03-14T09:00:00"}, "ends_at"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": None}, "starts_at"),
        ({"mode": "virtual", "join_link": ""}, "join_link"),
        ({"mode": "in_person", "venue": ""}, "venue"),
        ({"host_country": "FR"}, "host_country"),
        ({"join_link": "http://meet.example/x"}, "join_link"),
    ],
)
def test_bad_meetings_are_422_naming_the_field(
    api_as: Any, people: People, group: WorkingGroup, overrides: dict[str, Any], field: str
) -> None:
    response = api_as(people.chair).post(M, json=_new(group, **overrides))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_patch_with_an_unknown_zone_or_a_reversed_time_is_422(
    db: Session, api_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group)
    http = api_as(people.chair)
    assert http.patch(f"{M}/{meeting.id}", json={"time_zone": "Nowhere/City"}).status_code == 422
    reversed_end = (meeting.starts_at - timedelta(hours=1)).isoformat()
    refused = http.patch(f"{M}/{meeting.id}", json={"ends_at": reversed_end})
    assert refused.status_code == 422 and "ends_at" in refused.text
    changed = http.patch(f"{M}/{meeting.id}", json={"title": "Renamed", "status": "cancelled"})
    assert changed.status_code == 200 and changed.json()["status"] == "cancelled"
    assert changed.json()["sequence"] == 1


def test_the_page_form_keeps_what_was_typed_on_error(browser_as: Any, people: People, group: WorkingGroup) -> None:
    http = browser_as(people.chair)
    assert http.get(f"/groups/{group.slug}/meetings/new").status_code == 200
    refused = _form(
        http,
        f"/groups/{group.slug}/meetings/new",
        title="Kept title",
        start_date="2027-04-01",
        start_time="10:00",
        end_date="2027-04-01",
        end_time="09:00",
        time_zone="Australia/Sydney",
        host_country="AU",
        mode="virtual",
        join_link=JOIN_LINK,
        visibility="group",
        status="scheduled",
    )
    assert refused.status_code == 422
    assert 'value="Kept title"' in refused.text and 'href="#end_date"' in refused.text
    created = _form(
        http,
        f"/groups/{group.slug}/meetings/new",
        title="Kept title",
        start_date="2027-04-01",
        start_time="10:00",
        end_date="2027-04-01",
        end_time="12:00",
        time_zone="Australia/Sydney",
        host_country="AU",
        mode="virtual",
        join_link=JOIN_LINK,
        visibility="group",
        status="scheduled",
    )
    assert created.status_code == 303
    page = http.get(created.headers["location"])
    assert "Kept title" in page.text and JOIN_LINK in page.text


def test_an_unknown_zone_on_the_page_form_is_the_fields_error(
    browser_as: Any, people: People, group: WorkingGroup
) -> None:
    refused = _form(
        browser_as(people.chair),
        f"/groups/{group.slug}/meetings/new",
        title="T",
        start_date="2027-04-01",
        start_time="10:00",
        end_date="2027-04-01",
        end_time="12:00",
        time_zone="Atlantis/Capital",
        host_country="AU",
        mode="virtual",
        join_link=JOIN_LINK,
    )
    assert refused.status_code == 422 and 'href="#time_zone"' in refused.text


# Join-link secrecy ---------------------------------------------------------------------------------------------


def test_the_join_link_reaches_only_invitees_on_every_path(
    db: Session, api_as: Any, browser_as: Any, client: httpx.Client, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, visibility=Visibility.public)
    paths = [
        f"{M}/{meeting.id}",
        M,
        f"{M}?group={group.slug}",
        f"/meetings/{meeting.id}",
        f"/groups/{group.slug}/meetings",
        "/",
    ]
    for who in (people.outsider, people.industry):
        for http in (api_as(who), browser_as(who)):
            for path in paths:
                response = http.get(path)
                assert response.status_code == 200, (who.display_name, path)
                assert JOIN_LINK not in response.text, (who.display_name, path)
    for path in paths:
        assert JOIN_LINK not in client.get(path).text, path
    # Invitees see it on the meeting itself, and never in a list or on the home page.
    for who in (people.jp_member, people.secretariat):
        assert JOIN_LINK in api_as(who).get(f"{M}/{meeting.id}").text
        http = browser_as(who)
        assert JOIN_LINK in http.get(f"/meetings/{meeting.id}").text
        for path in (M, f"/groups/{group.slug}/meetings", "/"):
            text = http.get(path).text
            assert JOIN_LINK not in text, path
        assert meeting.title in http.get("/").text  # the home page lists it, without the link


def test_a_group_meeting_is_404_to_outsiders(db: Session, api_as: Any, people: People, group: WorkingGroup) -> None:
    meeting = make_meeting(db, group, visibility=Visibility.group)
    assert api_as(people.outsider).get(f"{M}/{meeting.id}").status_code == 404
    assert meeting.id not in [m["id"] for m in api_as(people.outsider).get(M).json()["items"]]
    assert api_as(people.au_member).get(f"{M}/{meeting.id}").status_code == 200


# The agenda -----------------------------------------------------------------------------------------------------


def test_a_draft_agenda_is_shown_only_to_its_editors(
    db: Session, api_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, items=2)
    assert api_as(people.jp_member).get(f"{M}/{meeting.id}").json()["agenda"] is None
    assert len(api_as(people.chair).get(f"{M}/{meeting.id}").json()["agenda"]) == 2
    published = api_as(people.chair).post(f"{M}/{meeting.id}/agenda/publish")
    assert published.status_code == 200 and published.json()["agenda_version"] == 1
    assert len(api_as(people.jp_member).get(f"{M}/{meeting.id}").json()["agenda"]) == 2


def test_a_locked_agenda_refuses_every_change_with_409(
    db: Session, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, items=2, published=True)
    http = api_as(people.chair)
    assert http.post(f"{M}/{meeting.id}/agenda/lock").status_code == 200
    item_id = meeting.items[0].id
    assert http.post(f"{M}/{meeting.id}/agenda/items", json={"title": "Late"}).status_code == 409
    assert http.patch(f"{M}/{meeting.id}/agenda/items/{item_id}", json={"title": "X"}).status_code == 409
    assert http.delete(f"{M}/{meeting.id}/agenda/items/{item_id}").status_code == 409
    ids = [i.id for i in reversed(meeting.items)]
    assert http.put(f"{M}/{meeting.id}/agenda/order", json={"item_ids": ids}).status_code == 409
    page = _form(browser_as(people.chair), f"/meetings/{meeting.id}/agenda/{item_id}/move", direction="down")
    assert page.status_code == 409 and "locked" in page.text
    assert item_titles(db, meeting) == ["Item 1", "Item 2"]


def test_changes_after_publishing_are_marked_for_those_who_looked_before(
    db: Session, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, items=3, published=True)
    member = browser_as(people.jp_member)
    first = member.get(f"/meetings/{meeting.id}")
    assert "changed since you last looked" not in first.text  # a first look marks nothing
    second_item = meeting.items[1]
    changed = api_as(people.chair).patch(
        f"{M}/{meeting.id}/agenda/items/{second_item.id}", json={"title": "Item 2, revised", "minutes": 20}
    )
    assert changed.status_code == 200 and changed.json()["changed_in_version"] == 2
    after = api_as(people.jp_member).get(f"{M}/{meeting.id}").json()
    assert [i["changed_since_seen"] for i in after["agenda"]] == [False, True, False]
    page = member.get(f"/meetings/{meeting.id}")
    assert page.text.count("changed since you last looked") == 1
    assert "Item 2, revised" in page.text.split("changed since you last looked")[0].rsplit("<h3>", 1)[1]
    # Looked at again: nothing is new any more.
    assert "changed since you last looked" not in member.get(f"/meetings/{meeting.id}").text


def test_reorder_without_javascript_and_through_the_api(
    db: Session, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, items=3)
    http = browser_as(people.chair)
    first = meeting.items[0]
    moved = _form(http, f"/meetings/{meeting.id}/agenda/{first.id}/move", direction="down")
    assert moved.status_code == 303
    assert item_titles(db, meeting) == ["Item 2", "Item 1", "Item 3"]
    page = http.get(f"/meetings/{meeting.id}")
    assert "Move up" in page.text and "agenda.js" in page.text
    ids = [i.id for i in sorted(meeting.items, key=lambda i: i.title, reverse=True)]
    api = api_as(people.chair)
    assert api.put(f"{M}/{meeting.id}/agenda/order", json={"item_ids": ids}).status_code == 200
    assert item_titles(db, meeting) == ["Item 3", "Item 2", "Item 1"]
    refused = api.put(f"{M}/{meeting.id}/agenda/order", json={"item_ids": ids[:2]})
    assert refused.status_code == 422 and "item_ids" in refused.text
    assert (
        _form(
            browser_as(people.jp_member), f"/meetings/{meeting.id}/agenda/{first.id}/move", direction="up"
        ).status_code
        == 403
    )


def test_the_running_total_warns_when_the_agenda_overruns(
    db: Session, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, hours=0.5, items=3)
    http = browser_as(people.chair)
    assert "overruns" not in http.get(f"/meetings/{meeting.id}").text
    service.add_item(db, SYSTEM, meeting, service.ItemFields(title="Long debate", minutes=15))
    db.commit()
    page = http.get(f"/meetings/{meeting.id}").text
    assert "45 of 30 minutes" in page and "overruns the meeting by 15 minutes" in page


def test_linked_documents_follow_the_documents_rules(
    db: Session, app: FastAPI, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group, visibility=Visibility.quad, published=True)
    jp_only = make_document(
        db, app, people.jp_member, group, title="Japanese delegation note", owner="JP", visibility=Visibility.country
    )
    marked = make_document(
        db,
        app,
        people.chair,
        group,
        title="Controlled design",
        visibility=Visibility.quad,
        controlled=True,
        release=("US",),
    )
    public = make_document(db, app, people.chair, group, title="Public paper")
    chair = api_as(people.chair)
    # The US chair may not read the Japanese delegation's note: linking it is refused, and says nothing about it.
    refused = chair.post(f"{M}/{meeting.id}/agenda/items", json={"title": "Notes", "document_ids": [jp_only.id]})
    assert refused.status_code == 422 and "documents" in refused.text
    missing = chair.post(f"{M}/{meeting.id}/agenda/items", json={"title": "Notes", "document_ids": [987654]})
    assert missing.status_code == 422 and missing.json()["detail"].replace("987654", "N") == refused.json()[
        "detail"
    ].replace(str(jp_only.id), "N")
    # The JP member links all three; each reader sees what the documents' rules let them see.
    created = api_as(people.jp_member)  # not a chair: refused
    assert created.post(f"{M}/{meeting.id}/agenda/items", json={"title": "x"}).status_code == 403
    item = service.add_item(
        db, SYSTEM, meeting, service.ItemFields(title="Papers", document_ids=(jp_only.id, marked.id, public.id))
    )
    db.commit()
    seen_by_chair = chair.get(f"{M}/{meeting.id}").json()["agenda"][0]["documents"]
    assert {d["title"] for d in seen_by_chair} == {"Controlled design", "Public paper"}
    seen_by_jp = api_as(people.jp_member).get(f"{M}/{meeting.id}").json()["agenda"][0]["documents"]
    assert {d["title"]: d["content_readable"] for d in seen_by_jp} == {
        "Japanese delegation note": True,
        "Controlled design": False,
        "Public paper": True,
    }
    page = browser_as(people.jp_member).get(f"/meetings/{meeting.id}").text
    assert "EXPORT-CONTROLLED" in page and "Its files are not released to you." in page
    outsider_page = browser_as(people.outsider).get(f"/meetings/{meeting.id}").text
    assert "Japanese delegation note" not in outsider_page and "Public paper" in outsider_page
    assert item.id


# Attendance -----------------------------------------------------------------------------------------------------


def test_answers_are_listed_by_delegation(
    db: Session, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    meeting = make_meeting(db, group)
    assert _form(browser_as(people.jp_member), f"/meetings/{meeting.id}/attendance", answer="online").status_code == 303
    assert api_as(people.au_member).put(f"{M}/{meeting.id}/attendance", json={"answer": "in_person"}).status_code == 200
    assert api_as(people.chair).put(f"{M}/{meeting.id}/attendance", json={"answer": "not_attending"}).status_code == 200
    assert api_as(people.outsider).put(f"{M}/{meeting.id}/attendance", json={"answer": "online"}).status_code == 403
    bad = _form(browser_as(people.jp_member), f"/meetings/{meeting.id}/attendance", answer="maybe")
    assert bad.status_code == 422 and 'href="#answer"' in bad.text
    body = api_as(people.jp_member).get(f"{M}/{meeting.id}").json()
    assert [row["country_code"] for row in body["attendance"]] == ["US", "JP", "AU"]
    assert body["my_answer"] == "online"
    page = browser_as(people.secretariat).get(f"/meetings/{meeting.id}").text.split('id="attendance"')[1]
    assert page.index("United States") < page.index("Japan") < page.index("Australia")
    assert "Attending in person" in page and "Not attending" in page


def test_attendance_is_recorded_by_chairs_after_the_start(
    db: Session, api_as: Any, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    future = make_meeting(db, group)
    assert api_as(people.chair).put(f"{M}/{future.id}/attendance/record", json={"attended": []}).status_code == 409
    past = make_meeting(db, group, starts_at=utcnow() - timedelta(days=2))
    assert api_as(people.jp_member).put(f"{M}/{past.id}/attendance/record", json={"attended": []}).status_code == 403
    assert api_as(people.chair).put(f"{M}/{past.id}/attendance", json={"answer": "online"}).status_code == 409
    recorded = _form(
        browser_as(people.chair), f"/meetings/{past.id}/attendance/record", attended=[str(people.jp_member.id)]
    )
    assert recorded.status_code == 303
    rows = {
        p["display_name"]: p["attended"]
        for c in api_as(people.chair).get(f"{M}/{past.id}").json()["attendance"]
        for p in c["people"]
    }
    assert rows == {"Chair Person": False, "Hanako Member": True, "Olivia Member": False}
    outsider = api_as(people.chair).put(f"{M}/{past.id}/attendance/record", json={"attended": [people.outsider.id]})
    assert outsider.status_code == 422 and "attended" in outsider.text


def test_the_calendar_lists_upcoming_and_past(
    db: Session, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    make_meeting(db, group, title="Next round")
    make_meeting(db, group, title="Last round", starts_at=utcnow() - timedelta(days=30))
    http = browser_as(people.jp_member)
    upcoming = http.get(f"/groups/{group.slug}/meetings").text
    past = http.get(f"/groups/{group.slug}/meetings?when=past").text
    assert "Next round" in upcoming and "Last round" not in upcoming
    assert "Last round" in past and "Next round" not in past
    api = browser_as(people.jp_member).get(f"{M}?group={group.slug}&status=scheduled&from=2000-01-01T00:00:00").json()
    assert {m["title"] for m in api["items"]} == {"Next round", "Last round"}
    assert browser_as(people.jp_member).get(f"{M}?group=no-such-group").status_code == 422
    assert MeetingMode.hybrid.value in {m["mode"] for m in api["items"]}


def test_the_month_view_places_meetings_on_the_viewers_days(
    db: Session, browser_as: Any, people: People, group: WorkingGroup
) -> None:
    # 23:30 UTC on 31 March is already 1 April in Tokyo, and still 31 March (19:30) in Washington.
    make_meeting(db, group, title="Crossing midnight", starts_at=datetime(2027, 3, 31, 23, 30, tzinfo=UTC))
    tokyo = browser_as(people.jp_member)  # Japanese delegates' clock: Tokyo
    washington = browser_as(people.chair)
    assert "Crossing midnight" not in tokyo.get(f"/groups/{group.slug}/meetings?month=2027-03").text
    assert "Crossing midnight" in tokyo.get(f"/groups/{group.slug}/meetings?month=2027-04").text
    march = washington.get(f"/groups/{group.slug}/meetings?month=2027-03")
    assert march.status_code == 200 and "Crossing midnight" in march.text and "month=2027-04" in march.text
    assert "month=2027-02" in march.text
    assert washington.get(f"/groups/{group.slug}/meetings?month=2027-13").status_code == 422
