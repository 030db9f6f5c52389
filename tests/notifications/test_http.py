"""Notifications over HTTP: the bell, the list and marking read, preferences, and the two features that notify
(an approved registration, a document added to a group) end to end through the real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.notices import DocumentNotice, document_path
from app.groups.models import MembershipRole, WorkingGroup
from app.notifications import service
from app.notifications.deps import preference_field
from app.notifications.kinds import declared_kinds
from app.notifications.models import Notification
from app.users.models import Role, User, UserStatus
from app.users.notices import AccountNotice
from tests.support.sessions import CSRF_TOKEN
from tests.support.smtp import Mailbox

SUBJECT = "New document in %(group)s: %(title)s"


def tell(db: Session, user: User, *titles: str) -> list[Notification]:
    """Notifications for `user`, oldest first, through the service as a feature would send them."""
    made = [
        service.notify(
            db,
            recipients=[user],
            kind=DocumentNotice.added,
            subject=SUBJECT,
            params={"group": {"en": "Chips", "ja": "半導体"}, "title": title},
            link=f"/documents/{n + 1}",
        )[0]
        for n, title in enumerate(titles)
    ]
    db.commit()
    return made


def bell(html: str) -> str:
    """The header's bell link, as text (tags removed, spaces folded)."""
    match = re.search(r'<a class="bell"[^>]*>(.*?)</a>', html.split("<main", 1)[0], re.DOTALL)
    assert match, "no bell in the header"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_the_bell_shows_the_unread_count_in_words(
    db: Session, make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client], client: httpx.Client
) -> None:
    person = make_user(Role.delegate, "US")
    http = browser_as(person)
    assert bell(http.get("/").text) == "Notifications", "no count when nothing is unread"
    tell(db, person, "One", "Two", "Three")
    assert bell(http.get("/").text) == "Notifications , 3 unread"  # the comma is for screen readers only
    assert 'class="bell"' not in client.get("/").text, "no bell for the signed-out"
    switched = http.get("/language", params={"lang": "ja", "next": "/"})
    assert switched.status_code == 303
    assert bell(http.get("/").text) == "通知 , 未読 3 件"


def test_list_newest_first_and_mark_read_without_javascript(
    db: Session, make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]
) -> None:
    person = make_user(Role.delegate, "US")
    first, second, third = tell(db, person, "Oldest", "Middle", "Newest")
    http = browser_as(person)
    page = http.get("/notifications").text
    main = page.split("<main", 1)[1]
    assert main.index("Newest") < main.index("Middle") < main.index("Oldest")
    assert main.count("<strong>Unread</strong>") == 3
    assert f'href="/documents/{third.link.rsplit("/", 1)[1]}"' in main

    done = http.post(f"/notifications/{second.id}/read", data={"csrf_token": CSRF_TOKEN})
    assert done.status_code == 303 and done.headers["location"] == "/notifications"
    page = http.get("/notifications").text
    assert "The notification is marked as read." in page
    assert page.split("<main", 1)[1].count("<strong>Unread</strong>") == 2
    assert bell(page) == "Notifications , 2 unread"

    no_token = http.post(f"/notifications/{first.id}/read", data={})
    assert no_token.status_code == 403, "CSRF is required"

    done = http.post("/notifications/read-all", data={"csrf_token": CSRF_TOKEN})
    assert done.status_code == 303
    page = http.get("/notifications").text
    assert "<strong>Unread</strong>" not in page and bell(page) == "Notifications"
    assert "Mark all as read" not in page


def test_the_list_is_paginated(
    db: Session,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
    api_as: Callable[[User], httpx.Client],
) -> None:
    person = make_user(Role.delegate, "US")
    tell(db, person, *[f"Paper {n:02d}" for n in range(25)])
    page_two = browser_as(person).get("/notifications?page=2").text
    assert "Page 2 of 2" in page_two and "Paper 04" in page_two and "Paper 05" not in page_two
    body = api_as(person).get("/api/v1/me/notifications", params={"per_page": 10, "page": 3}).json()
    assert body["total"] == 25 and [i["params"]["title"] for i in body["items"]] == [
        f"Paper {n:02d}" for n in range(4, -1, -1)
    ]
    assert api_as(person).get("/api/v1/me/notifications", params={"per_page": 101}).status_code == 422


def test_api_lists_marks_and_hides_other_peoples(
    db: Session,
    make_user: Callable[..., User],
    api_as: Callable[[User], httpx.Client],
    browser_as: Callable[[User], httpx.Client],
) -> None:
    owner, other = make_user(Role.delegate, "US"), make_user(Role.delegate, "JP")
    first, second = tell(db, owner, "Alpha", "Beta")
    api = api_as(owner)
    listed = api.get("/api/v1/me/notifications").json()
    assert [i["subject"] for i in listed["items"]] == ["New document in Chips: Beta", "New document in Chips: Alpha"]
    assert listed["items"][0]["kind"] == "document.added" and listed["items"][0]["unread"] is True
    marked = api.post(f"/api/v1/me/notifications/{first.id}/read")
    assert marked.status_code == 200 and marked.json()["unread"] is False and marked.json()["read_at"]
    unread = api.get("/api/v1/me/notifications", params={"unread": "true"}).json()
    assert [i["id"] for i in unread["items"]] == [second.id]

    stranger = api_as(other)
    refused = stranger.post(f"/api/v1/me/notifications/{second.id}/read")
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("application/problem+json")
    assert stranger.get("/api/v1/me/notifications").json()["total"] == 0
    assert (
        browser_as(other).post(f"/notifications/{second.id}/read", data={"csrf_token": CSRF_TOKEN}).status_code == 404
    )
    assert api.post("/api/v1/me/notifications/999999/read").status_code == 404
    db.expire_all()
    assert db.get(Notification, second.id).read_at is None, "someone else's stays unread"

    assert api.post("/api/v1/me/notifications/read-all").json() == {"marked": 1}
    assert api.get("/api/v1/me/notifications", params={"unread": True}).json()["total"] == 0
    assert httpx.get(api.base_url.join("/api/v1/me/notifications")).status_code == 401


def test_preferences_page_and_api(
    db: Session,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
    api_as: Callable[[User], httpx.Client],
) -> None:
    person = make_user(Role.delegate, "US")
    http = browser_as(person)
    page = http.get("/profile/notifications").text
    assert "<legend>A document is added to one of my working groups</legend>" in page
    assert re.search(r'id="channel-document-added" name="channel-document-added" value="in_app" checked', page)
    assert re.search(r'id="channel-account-approved-email" name="channel-account-approved" value="email" checked', page)

    # Every declared kind must be answered (other domains declare theirs): their defaults, two of them changed.
    defaults = {preference_field(kind): kind.default_channel.value for kind in declared_kinds()}
    form = {**defaults, "csrf_token": CSRF_TOKEN, "channel-document-added": "email", "channel-account-approved": "off"}
    saved = http.post("/profile/notifications", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == "/profile/notifications"
    page = http.get("/profile/notifications").text
    assert "Your notification settings are saved." in page
    assert re.search(r'name="channel-document-added" value="email" checked', page)

    bad = http.post("/profile/notifications", data={**form, "channel-document-added": "pigeon"})
    assert bad.status_code == 422
    assert 'href="#channel-document-added"' in bad.text, "the error summary links to the radio group"
    assert 'id="channel-document-added-error"' in bad.text
    assert re.search(r'name="channel-account-approved" value="off" checked', bad.text), "the other choice is kept"
    missing = http.post("/profile/notifications", data={"csrf_token": CSRF_TOKEN, "channel-account-approved": "off"})
    assert missing.status_code == 422 and "choose in the app, by email or off" in missing.text

    api = api_as(person)
    listed = {p["kind"]: p for p in api.get("/api/v1/me/notification-preferences").json()}
    assert listed["document.added"] == {
        "kind": "document.added",
        "label": "A document is added to one of my working groups",
        "channel": "email",
        "default": "in_app",
        "chosen": True,
    }
    changed = api.put("/api/v1/me/notification-preferences", json={"channels": {"document.added": "off"}})
    assert changed.status_code == 200
    assert {p["kind"]: p["channel"] for p in changed.json()}["document.added"] == "off"
    unknown = api.put("/api/v1/me/notification-preferences", json={"channels": {"no.such": "off"}})
    assert unknown.status_code == 422 and "no.such" in unknown.json()["detail"]
    bad_channel = api.put("/api/v1/me/notification-preferences", json={"channels": {"document.added": "pigeon"}})
    assert bad_channel.status_code == 422 and "channels" in bad_channel.text


def test_an_approved_registration_is_told_by_email(
    db: Session,
    make_user: Callable[..., User],
    api_as: Callable[[User], httpx.Client],
    mailbox: Mailbox,
    browser_as: Callable[[User], httpx.Client],
    make_group: Callable[..., WorkingGroup],
) -> None:
    staff = api_as(make_user(Role.secretariat))
    waiting = make_user(Role.industry, "JP", status=UserStatus.pending, email="kenji@chips.example.jp")
    waiting.language = "ja"
    db.commit()
    assert staff.post(f"/api/v1/users/{waiting.id}/approve").status_code == 200
    [message] = mailbox.to("kenji@chips.example.jp")
    assert message["Subject"] == "アカウントが承認されました"
    assert browser_as(waiting).get("/notifications").status_code == 200
    db.expire_all()
    stored = db.scalars(select(Notification).where(Notification.user_id == waiting.id)).all()
    assert [n.kind for n in stored] == [AccountNotice.approved.key]

    # Approved into a group through the page: the email names the group and links to it.
    make_group("radio-access")
    page = browser_as(make_user(Role.secretariat))
    delegate = make_user(Role.delegate, "AU", status=UserStatus.pending, email="ava@gov.example.au")
    decided = page.post(
        f"/admin/approvals/{delegate.id}",
        data={"csrf_token": CSRF_TOKEN, "decision": "approve", "group": "radio-access"},
    )
    assert decided.status_code == 303
    [message] = mailbox.to("ava@gov.example.au")
    assert "Radio Access" in message.get_content() and "/groups/radio-access" in message.get_content()


def test_a_refused_approval_tells_nobody(
    db: Session,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
    mailbox: Mailbox,
    make_group: Callable[..., WorkingGroup],
) -> None:
    """Approving an industry participant into a working group is refused (industry are never members): the
    request rolls back, so the account stays pending and no notification is recorded or sent."""
    make_group("no-industry")
    staff = browser_as(make_user(Role.secretariat))
    waiting = make_user(Role.industry, "US", status=UserStatus.pending, email="refused@co.example")
    refused = staff.post(
        f"/admin/approvals/{waiting.id}", data={"csrf_token": CSRF_TOKEN, "decision": "approve", "group": "no-industry"}
    )
    assert refused.status_code in (403, 409, 422), refused.status_code
    db.expire_all()
    assert db.get(User, waiting.id).status is UserStatus.pending
    assert db.scalars(select(Notification).where(Notification.user_id == waiting.id)).all() == []
    assert mailbox.count == 0


@pytest.fixture
def chips(db: Session, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> dict[str, User]:
    people = {
        "author": make_user(Role.delegate, "US", email="author@state.example.gov"),
        "us": make_user(Role.delegate, "US", email="us2@state.example.gov"),
        "jp": make_user(Role.delegate, "JP", email="jp@mofa.example.go.jp"),
        "observer": make_user(Role.observer, "US", email="observer@ntia.example.gov"),
        "staff": make_user(Role.secretariat, None, email="staff@quad-secretariat.example"),
        "outsider": make_user(Role.delegate, "US", email="outsider@state.example.gov"),
    }
    make_group(
        "chips-notify",
        (people["author"], MembershipRole.chair),
        (people["us"], MembershipRole.member),
        (people["jp"], MembershipRole.member),
        (people["observer"], MembershipRole.observer),
        (people["staff"], MembershipRole.member),
    )
    return people


def notified(db: Session, people: dict[str, User]) -> set[str]:
    db.expire_all()
    ids = set(db.scalars(select(Notification.user_id).where(Notification.kind == DocumentNotice.added.key)))
    return {name for name, user in people.items() if user.id in ids}


def upload(http: httpx.Client, title: str, **fields: str | list[str]) -> httpx.Response:
    data: dict[str, str | list[str]] = {
        "group": "chips-notify",
        "title": title,
        "doc_type": "position_paper",
        "visibility": "group",
        "owner": "US",
        **fields,
    }
    return http.post("/api/v1/documents", data=data, files={"file": ("paper.txt", b"Fabs.\n", "text/plain")})


def test_a_new_document_is_announced_to_the_members_who_may_read_it(
    db: Session, app: FastAPI, chips: dict[str, User], api_as: Callable[[User], httpx.Client], mailbox: Mailbox
) -> None:
    api = api_as(chips["author"])
    response = upload(api, "Open paper")
    assert response.status_code == 201, response.text
    assert notified(db, chips) == {"us", "jp", "observer", "staff"}, "every member but the author, nobody outside"
    notice = db.scalars(select(Notification).where(Notification.user_id == chips["jp"].id)).one()
    assert notice.link == app.url_path_for("documents.detail", document_id=response.json()["id"])
    assert notice.link == document_path(response.json()["id"])
    assert mailbox.count == 0, "in the app only, by default"


def test_an_export_controlled_document_is_announced_only_to_whom_it_is_released(
    db: Session, chips: dict[str, User], api_as: Callable[[User], httpx.Client], mailbox: Mailbox
) -> None:
    chips["jp"].language = "ja"
    db.commit()
    for person in ("us", "jp", "observer", "staff"):
        assert (
            api_as(chips[person])
            .put("/api/v1/me/notification-preferences", json={"channels": {"document.added": "email"}})
            .status_code
            == 200
        )
    marking = {"controlled": "true", "category": "semiconductors", "control_code": "3E001", "release": ["US"]}
    response = upload(api_as(chips["author"]), "Lithography export note", **marking)
    assert response.status_code == 201, response.text
    # Released to US delegates: the JP delegate, the observer and uncleared staff hear nothing, not even the title.
    assert notified(db, chips) == {"us"}
    assert [m["Subject"] for m in mailbox.to("us2@state.example.gov")] == [
        "New document in Chips Notify: Lithography export note"
    ]
    for refused in ("jp@mofa.example.go.jp", "observer@ntia.example.gov", "staff@quad-secretariat.example"):
        assert mailbox.to(refused) == []

    # Released to Japan too, with the staff member cleared: the Japanese delegate's email is in Japanese.
    chips["staff"].export_cleared = True
    db.commit()
    mailbox.inbox.clear()
    response = upload(api_as(chips["author"]), "Joint note", **{**marking, "release": ["US", "JP"]})
    assert response.status_code == 201, response.text
    [to_japan] = mailbox.to("jp@mofa.example.go.jp")
    assert to_japan["Subject"] == "Chips Notify に新しい文書：Joint note"
    assert mailbox.to("staff@quad-secretariat.example") and not mailbox.to("observer@ntia.example.gov")


def test_a_failed_upload_announces_nothing(
    db: Session, chips: dict[str, User], api_as: Callable[[User], httpx.Client], mailbox: Mailbox
) -> None:
    api_as(chips["us"]).put("/api/v1/me/notification-preferences", json={"channels": {"document.added": "email"}})
    bad = upload(api_as(chips["author"]), "Bad", **{"controlled": "true", "category": "nonsense"})
    assert bad.status_code == 422
    assert notified(db, chips) == set() and mailbox.count == 0
