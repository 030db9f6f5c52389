"""Who may call each meetings route, and what a permitted call answers (merged into the access matrix).

The matrix group's chair is the US delegate; nobody else in the matrix is a member. Each row that changes
something gets a fresh public meeting, so every principal reads it and only the rules tell them apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.core.db import utcnow
from app.meetings import service
from app.meetings.models import Meeting, MeetingMode
from tests.support.matrix import EVERYONE, US_EDITORS, Row, World, page_row

M = "/api/v1/meetings"
INVITEES = {"us_delegate", "secretariat", "admin"}  # the group's member, and the staff


def fresh_meeting(
    world: World, *, items: int = 2, published: bool = False, past: bool = False, minutes: int = 0
) -> Meeting:
    """`minutes`: that many revisions of the minutes, each published but the last (a draft to publish)."""
    starts = utcnow().replace(microsecond=0) + timedelta(days=-1 if past else 7)
    details = service.MeetingDetails(
        title="Matrix meeting",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        host_country="US",
        mode=MeetingMode.virtual,
        visibility=Visibility.public,
        join_link="https://meet.example.gov/matrix",
    )
    meeting = service.create_meeting(world.db, SYSTEM, world.group, details)
    for n in range(items):
        service.add_item(world.db, SYSTEM, meeting, service.ItemFields(title=f"Item {n}", minutes=5))
    if published:
        service.publish_agenda(world.db, SYSTEM, meeting)
    for n in range(minutes):
        if n:
            service.publish_minutes(world.db, SYSTEM, meeting)
        service.append_minutes(world.db, SYSTEM, meeting, f"Revision {n + 1}.\n\nAgreed.")
    world.db.commit()
    world.last_meeting = meeting  # type: ignore[attr-defined]  (rows whose data names its items)
    return meeting


def _meeting(suffix: str = "", **kw: Any) -> object:
    return lambda w, p: f"{M}/{fresh_meeting(w, **kw).id}{suffix}"


def _page(suffix: str = "", **kw: Any) -> object:
    return lambda w, p: f"/meetings/{fresh_meeting(w, **kw).id}{suffix}"


def _item_page(suffix: str) -> object:
    def path(w: World, p: str) -> str:
        meeting = fresh_meeting(w)
        return f"/meetings/{meeting.id}/agenda/{meeting.items[0].id}{suffix}"

    return path


def _item_api(w: World, p: str) -> str:
    meeting = fresh_meeting(w)
    return f"{M}/{meeting.id}/agenda/items/{meeting.items[0].id}"


def _reversed_items(w: World) -> dict[str, object]:
    return {"item_ids": [item.id for item in reversed(w.last_meeting.items)]}  # type: ignore[attr-defined]


NEW_MEETING = {
    "title": "Matrix round",
    "starts_at": "2027-05-01T10:00:00+00:00",
    "ends_at": "2027-05-01T12:00:00+00:00",
    "host_country": "US",
    "mode": "virtual",
    "join_link": "https://meet.example.gov/new",
    "visibility": "group",
}
MEETING_FORM = {
    "title": "Matrix round",
    "start_date": "2027-05-01",
    "start_time": "10:00",
    "end_date": "2027-05-01",
    "end_time": "12:00",
    "time_zone": "America/New_York",
    "host_country": "US",
    "mode": "virtual",
    "join_link": "https://meet.example.gov/new",
    "visibility": "group",
    "status": "scheduled",
}

ROWS: dict[tuple[str, str], Row] = {
    ("GET", M): Row(EVERYONE, 200, M),
    ("POST", M): Row(US_EDITORS, 201, M, json=lambda w: {**NEW_MEETING, "group": w.group_slug}),
    ("GET", M + "/{meeting_id}"): Row(EVERYONE, 200, _meeting()),  # type: ignore[arg-type]
    ("PATCH", M + "/{meeting_id}"): Row(US_EDITORS, 200, _meeting(), json={"title": "Renamed"}),  # type: ignore[arg-type]
    ("POST", M + "/{meeting_id}/agenda/items"): Row(
        US_EDITORS,
        201,
        _meeting("/agenda/items"),  # type: ignore[arg-type]
        json={"title": "Any other business", "minutes": 5},
    ),
    ("PATCH", M + "/{meeting_id}/agenda/items/{item_id}"): Row(US_EDITORS, 200, _item_api, json={"title": "Changed"}),
    ("DELETE", M + "/{meeting_id}/agenda/items/{item_id}"): Row(US_EDITORS, 204, _item_api),
    ("PUT", M + "/{meeting_id}/agenda/order"): Row(US_EDITORS, 200, _meeting("/agenda/order"), json=_reversed_items),  # type: ignore[arg-type]
    ("POST", M + "/{meeting_id}/agenda/publish"): Row(
        US_EDITORS, 200, lambda w, p: f"{M}/{fresh_meeting(w).id}/agenda/publish"
    ),
    ("POST", M + "/{meeting_id}/agenda/lock"): Row(
        US_EDITORS, 200, lambda w, p: f"{M}/{fresh_meeting(w, published=True).id}/agenda/lock"
    ),
    ("PUT", M + "/{meeting_id}/attendance"): Row(
        INVITEES, 200, lambda w, p: f"{M}/{fresh_meeting(w).id}/attendance", json={"answer": "online"}
    ),
    ("PUT", M + "/{meeting_id}/attendance/record"): Row(
        US_EDITORS, 200, lambda w, p: f"{M}/{fresh_meeting(w, past=True).id}/attendance/record", json={"attended": []}
    ),
    ("GET", M + "/{meeting_id}/minutes"): Row(EVERYONE, 200, _meeting("/minutes", minutes=2)),  # type: ignore[arg-type]
    ("POST", M + "/{meeting_id}/minutes"): Row(
        US_EDITORS,
        201,
        _meeting("/minutes"),  # type: ignore[arg-type]
        json={"text": "The group agreed.", "note": "First draft"},
    ),
    ("POST", M + "/{meeting_id}/minutes/publish"): Row(US_EDITORS, 200, _meeting("/minutes/publish", minutes=1)),  # type: ignore[arg-type]
    # Pages
    ("GET", "/groups/{slug}/meetings"): page_row(EVERYONE, 200, lambda w, p: f"/groups/{w.group_slug}/meetings"),
    ("GET", "/groups/{slug}/meetings/new"): page_row(
        US_EDITORS, 200, lambda w, p: f"/groups/{w.group_slug}/meetings/new"
    ),
    ("POST", "/groups/{slug}/meetings/new"): page_row(
        US_EDITORS, 303, lambda w, p: f"/groups/{w.group_slug}/meetings/new", data=MEETING_FORM
    ),
    ("GET", "/meetings/{meeting_id}"): page_row(EVERYONE, 200, _page()),  # type: ignore[arg-type]
    ("GET", "/meetings/{meeting_id}/edit"): page_row(US_EDITORS, 200, _page("/edit")),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/edit"): page_row(US_EDITORS, 303, _page("/edit"), data=MEETING_FORM),  # type: ignore[arg-type]
    ("GET", "/meetings/{meeting_id}/agenda/new"): page_row(US_EDITORS, 200, _page("/agenda/new")),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/agenda/new"): page_row(
        US_EDITORS,
        303,
        _page("/agenda/new"),
        data={"title": "Any other business", "minutes": "5"},  # type: ignore[arg-type]
    ),
    ("GET", "/meetings/{meeting_id}/agenda/{item_id}/edit"): page_row(US_EDITORS, 200, _item_page("/edit")),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/agenda/{item_id}/edit"): page_row(
        US_EDITORS,
        303,
        _item_page("/edit"),
        data={"title": "Changed", "minutes": "10"},  # type: ignore[arg-type]
    ),
    ("POST", "/meetings/{meeting_id}/agenda/{item_id}/remove"): page_row(US_EDITORS, 303, _item_page("/remove")),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/agenda/{item_id}/move"): page_row(
        US_EDITORS,
        303,
        _item_page("/move"),
        data={"direction": "down"},  # type: ignore[arg-type]
    ),
    ("POST", "/meetings/{meeting_id}/agenda/order"): page_row(
        US_EDITORS,
        303,
        _page("/agenda/order"),  # type: ignore[arg-type]
        data=lambda w: {"item_ids": [str(i.id) for i in reversed(w.last_meeting.items)]},  # type: ignore[attr-defined,dict-item]
    ),
    ("POST", "/meetings/{meeting_id}/agenda/publish"): page_row(US_EDITORS, 303, _page("/agenda/publish")),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/agenda/lock"): page_row(
        US_EDITORS,
        303,
        _page("/agenda/lock", published=True),  # type: ignore[arg-type]
    ),
    ("POST", "/meetings/{meeting_id}/attendance"): page_row(
        INVITEES, 303, _page("/attendance"), data={"answer": "online"}
    ),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/attendance/record"): page_row(
        US_EDITORS,
        303,
        _page("/attendance/record", past=True),  # type: ignore[arg-type]
    ),
    ("GET", "/meetings/{meeting_id}/minutes"): page_row(EVERYONE, 200, _page("/minutes", minutes=2)),  # type: ignore[arg-type]
    ("POST", "/meetings/{meeting_id}/minutes"): page_row(
        US_EDITORS,
        303,
        _page("/minutes"),  # type: ignore[arg-type]
        data={"text": "The group agreed.", "note": ""},
    ),
    ("POST", "/meetings/{meeting_id}/minutes/publish"): page_row(
        US_EDITORS,
        303,
        _page("/minutes/publish", minutes=1),  # type: ignore[arg-type]
    ),
    # Revisions 1 and 2 are published (3 is a draft): everyone who reads the meeting may compare them.
    ("GET", "/meetings/{meeting_id}/minutes/diff"): page_row(
        EVERYONE,
        200,
        lambda w, p: f"/meetings/{fresh_meeting(w, minutes=3).id}/minutes/diff?from=1&to=2",
    ),
}
