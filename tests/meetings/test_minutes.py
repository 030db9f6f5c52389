"""Minutes of a meeting: revisions appended and never changed, drafts seen only by the chairs and the secretariat
on every path, publishing, the diff between revisions, and the notifications meetings send to the members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.auth import service as auth_service
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.groups.models import MembershipRole, WorkingGroup
from app.meetings import service
from app.meetings.models import MeetingStatus, MinutesRevision
from app.meetings.notices import MeetingNotice, meeting_path
from app.notifications.models import Notification
from app.users.models import Role, User
from tests.meetings.helpers import make_meeting
from tests.support.sessions import CSRF_TOKEN

M = "/api/v1/meetings"
DRAFT = "Draft minutes: the delegations **disagreed** on item 2."


class Cast:
    def __init__(self, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> None:
        self.chair = make_user(Role.delegate, "AU", name="Chair Person")
        self.member = make_user(Role.delegate, "JP", name="Member Person")
        self.us_member = make_user(Role.delegate, "US", name="Us Member")
        self.observer = make_user(Role.observer, "IN", name="Observer Person")
        self.outsider = make_user(Role.delegate, "IN", name="Outside Delegate")  # reads quad content, not a member
        self.other_chair = make_user(Role.delegate, "US", name="Other Chair")
        self.staff = make_user(Role.secretariat, None, name="Sam Secretariat")
        self.group = make_group(
            "minutes-meet",
            (self.chair, MembershipRole.chair),
            (self.member, MembershipRole.member),
            (self.us_member, MembershipRole.member),
            (self.observer, MembershipRole.observer),
        )
        make_group("minutes-other", (self.other_chair, MembershipRole.chair))


@pytest.fixture
def cast(make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> Cast:
    return Cast(make_user, make_group)


def principal(db: Session, user: User) -> Principal:
    return auth_service.principal_for(db, user)


def notified(db: Session, kind: MeetingNotice) -> set[int]:
    db.expire_all()
    return set(db.scalars(select(Notification.user_id).where(Notification.kind == kind.key)))


# Service ---------------------------------------------------------------------------------------------------------


def test_revisions_are_appended_and_never_changed(db: Session, cast: Cast) -> None:
    meeting = make_meeting(db, cast.group)
    chair = principal(db, cast.chair)
    first = service.append_minutes(db, chair, meeting, "# Minutes\n\nOne <script>alert(1)</script> [x](https://e.x)")
    second = service.append_minutes(db, chair, meeting, "# Minutes\n\nTwo", note="item 2 corrected")
    db.commit()
    assert (first.number, second.number) == (1, 2)
    db.expire_all()
    rows = db.scalars(select(MinutesRevision).where(MinutesRevision.meeting_id == meeting.id)).all()
    assert [(r.number, r.text) for r in sorted(rows, key=lambda r: r.number)] == [
        (1, "# Minutes\n\nOne <script>alert(1)</script> [x](https://e.x)"),
        (2, "# Minutes\n\nTwo"),
    ]
    kept = db.get_one(MinutesRevision, first.id)
    assert "<script" not in kept.html and "&lt;script&gt;" in kept.html, "raw HTML is text, never markup"
    assert 'rel="noopener noreferrer nofollow"' in kept.html and "<h1>" not in kept.html  # h1 is not allowed
    with pytest.raises(InvalidInput) as empty:
        service.append_minutes(db, chair, meeting, "  \n ")
    assert empty.value.field == "text"
    with pytest.raises(InvalidInput) as same:
        service.append_minutes(db, chair, meeting, "# Minutes\n\nTwo")
    assert same.value.field == "text"


def test_who_may_write_and_publish(db: Session, cast: Cast) -> None:
    meeting = make_meeting(db, cast.group, visibility=Visibility.quad)
    for user in (cast.member, cast.observer, cast.outsider, cast.other_chair):
        with pytest.raises(Forbidden):
            service.append_minutes(db, principal(db, user), meeting, "Mine")
    with pytest.raises(Conflict):
        service.publish_minutes(db, principal(db, cast.staff), meeting)  # nothing to publish yet
    service.append_minutes(db, principal(db, cast.chair), meeting, "Agreed.")
    for user in (cast.member, cast.observer, cast.other_chair):
        with pytest.raises(Forbidden):
            service.publish_minutes(db, principal(db, user), meeting)
    assert service.publish_minutes(db, principal(db, cast.staff), meeting).number == 1
    with pytest.raises(Conflict):
        service.publish_minutes(db, principal(db, cast.chair), meeting)  # already published


def test_drafts_are_the_editors_only(db: Session, cast: Cast) -> None:
    meeting = make_meeting(db, cast.group, visibility=Visibility.quad)
    chair, member = principal(db, cast.chair), principal(db, cast.member)
    service.append_minutes(db, chair, meeting, "First.")
    service.publish_minutes(db, chair, meeting)
    service.append_minutes(db, chair, meeting, "Second, a draft.")
    assert [r.number for r in service.minutes_history(db, chair, meeting).revisions] == [2, 1]
    assert [r.number for r in service.minutes_history(db, member, meeting).revisions] == [1]
    shown = service.minutes_shown(db, member, meeting)
    assert shown.revision is not None and shown.revision.number == 1 and shown.published
    editor_sees = service.minutes_shown(db, chair, meeting)
    assert editor_sees.revision is not None and editor_sees.revision.number == 2 and not editor_sees.published
    with pytest.raises(NotFound):
        service.get_revision(db, member, meeting, 2)
    with pytest.raises(NotFound):
        service.minutes_diff(db, member, meeting, 1, 2)
    _, _, diff = service.minutes_diff(db, chair, meeting, 1, 2)
    assert diff.added_words and diff.removed_words


# Notifications ---------------------------------------------------------------------------------------------------


def test_members_who_may_read_are_told_and_not_the_actor(db: Session, cast: Cast, app: FastAPI) -> None:
    """A `country` meeting hosted by Australia: only the Australian chair and the secretariat read it, so the
    other members hear nothing of it (not even its title); a `quad` meeting reaches every member but the actor."""
    hidden = make_meeting(db, cast.group, visibility=Visibility.country, host_country="AU", items=1)
    chair = principal(db, cast.chair)
    service.publish_agenda(db, chair, hidden)
    db.commit()
    assert notified(db, MeetingNotice.agenda_published) == set(), "nobody but the actor may read it"

    meeting = make_meeting(db, cast.group, visibility=Visibility.quad, items=2)
    readers = {cast.member.id, cast.us_member.id, cast.observer.id}
    service.publish_agenda(db, chair, meeting)
    db.commit()
    assert notified(db, MeetingNotice.agenda_published) == readers
    service.add_item(db, principal(db, cast.staff), meeting, service.ItemFields(title="AOB", minutes=5))
    db.commit()
    assert notified(db, MeetingNotice.agenda_changed) == readers | {cast.chair.id}, "the staff actor is not a member"
    service.append_minutes(db, chair, meeting, "Agreed.")
    service.publish_minutes(db, chair, meeting)
    db.commit()
    assert notified(db, MeetingNotice.minutes_published) == readers
    notice = db.scalars(select(Notification).where(Notification.kind == MeetingNotice.minutes_published.key)).first()
    assert notice is not None and notice.link == meeting_path(meeting.id)
    assert app.url_path_for("meetings.detail", meeting_id=str(meeting.id)) == meeting_path(meeting.id)


def test_one_notice_per_agenda_change_and_on_cancelling(db: Session, cast: Cast) -> None:
    meeting = make_meeting(db, cast.group, visibility=Visibility.quad, items=3, published=True)
    chair = principal(db, cast.chair)
    item = meeting.items[0]
    service.move_item(db, chair, meeting, item, 1)
    db.commit()
    counted = db.scalars(select(Notification).where(Notification.kind == MeetingNotice.agenda_changed.key)).all()
    assert len(counted) == 3, "one per reader for one change (the member, the US member, the observer)"
    details = service.MeetingDetails(
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        host_country=meeting.host_country,
        mode=meeting.mode,
        visibility=meeting.visibility,
        venue=meeting.venue or "",
        join_link=meeting.join_link or "",
        status=MeetingStatus.cancelled,
    )
    service.update_meeting(db, chair, meeting, details)
    db.rollback()
    assert notified(db, MeetingNotice.cancelled) == set(), "a rolled-back change tells nobody"
    meeting = service.get_meeting(db, chair, meeting.id)
    service.update_meeting(db, chair, meeting, details)
    db.commit()
    assert notified(db, MeetingNotice.cancelled) == {cast.member.id, cast.us_member.id, cast.observer.id}
    service.update_meeting(db, chair, meeting, details)  # no change: no second notice
    db.commit()
    assert len(db.scalars(select(Notification).where(Notification.kind == MeetingNotice.cancelled.key)).all()) == 3


# HTTP ------------------------------------------------------------------------------------------------------------


def _form(http: httpx.Client, path: str, **data: Any) -> httpx.Response:
    return http.post(path, data={"csrf_token": CSRF_TOKEN, **data})


def test_the_api_appends_publishes_and_hides_drafts(db: Session, cast: Cast, api_as: Any) -> None:
    meeting = make_meeting(db, cast.group, visibility=Visibility.quad)
    chair, member, observer = api_as(cast.chair), api_as(cast.member), api_as(cast.observer)
    path = f"{M}/{meeting.id}/minutes"

    assert chair.post(f"{path}/publish").status_code == 409, "nothing to publish yet"
    empty = chair.post(path, json={"text": "   "})
    assert empty.status_code == 422 and empty.headers["content-type"].startswith("application/problem+json")
    assert "text" in empty.text
    added = chair.post(path, json={"text": DRAFT, "note": "first draft"})
    assert added.status_code == 201, added.text
    assert added.json()["revisions"][0] | {"created_at": None} == {
        "number": 1,
        "text": DRAFT,
        "html": "<p>Draft minutes: the delegations <strong>disagreed</strong> on item 2.</p>\n",
        "author": "Chair Person",
        "note": "first draft",
        "created_at": None,
        "published": False,
    }
    assert member.get(path).json() == {"published_number": None, "revisions": []}
    assert "disagreed" not in member.get(f"{M}/{meeting.id}").text
    assert member.post(path, json={"text": "Mine"}).status_code == 403
    assert observer.post(f"{path}/publish").status_code == 403
    assert api_as(cast.other_chair).post(f"{path}/publish").status_code == 403

    published = chair.post(f"{path}/publish")
    assert published.status_code == 200 and published.json()["published_number"] == 1
    assert chair.post(f"{path}/publish").status_code == 409
    listed = member.get(path).json()
    assert listed["published_number"] == 1 and [r["number"] for r in listed["revisions"]] == [1]
    db.expire_all()
    assert {n.user_id for n in db.scalars(select(Notification))} == {
        cast.member.id,
        cast.us_member.id,
        cast.observer.id,
    }


def test_pages_show_drafts_to_editors_only_and_the_diff_marks_changes(
    db: Session, cast: Cast, browser_as: Callable[[User], httpx.Client]
) -> None:
    meeting = make_meeting(db, cast.group, visibility=Visibility.quad)
    chair, member = browser_as(cast.chair), browser_as(cast.member)
    minutes = f"/meetings/{meeting.id}/minutes"

    refused = _form(chair, minutes, text="", note="empty")
    assert refused.status_code == 422 and 'href="#text"' in refused.text and 'value="empty"' in refused.text
    saved = _form(chair, minutes, text="Opening.\n\nThe group agreed on item 1.", note="")
    assert saved.status_code == 303 and saved.headers["location"] == minutes
    assert "The group agreed on item 1." in chair.get(f"/meetings/{meeting.id}").text
    assert "not shown to readers" in chair.get(minutes).text
    for page in (f"/meetings/{meeting.id}", minutes):
        assert "agreed on item 1" not in member.get(page).text, page
    assert member.get(f"{minutes}/diff?from=1&to=1").status_code == 404
    assert _form(member, minutes, text="Mine").status_code == 403
    assert _form(member, f"{minutes}/publish").status_code == 403

    assert _form(chair, f"{minutes}/publish").status_code == 303
    assert _form(chair, f"{minutes}/publish").status_code == 409
    assert "The group agreed on item 1." in member.get(f"/meetings/{meeting.id}").text
    assert _form(chair, minutes, text="Opening.\n\nThe group rejected item 1.").status_code == 303
    assert "rejected" not in member.get(f"/meetings/{meeting.id}").text, "revision 2 is a draft"
    assert member.get(f"{minutes}/diff?from=1&to=2").status_code == 404
    assert _form(chair, f"{minutes}/publish").status_code == 303

    page = member.get(f"{minutes}/diff?from=1&to=2")
    assert page.status_code == 200
    assert '<del><span class="visually-hidden">[deleted: </span>agreed' in page.text
    assert '<ins><span class="visually-hidden">[inserted: </span>rejected' in page.text
    assert "?from=1&amp;to=2" in member.get(minutes).text
    assert member.get(f"{minutes}/diff?from=1&to=9").status_code == 404
    assert member.get(f"{minutes}/diff?from=0&to=2").status_code == 422
