"""Working-group management by the secretariat, through pages and the API; the home page's news."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.groups.models import GroupStatus, Membership, MembershipRole, WorkingGroup
from app.users.models import Role
from tests.support.sessions import CSRF_TOKEN


def test_secretariat_creates_and_edits_a_group_through_pages(browser_as, make_user, db: Session) -> None:
    http = browser_as(make_user(Role.secretariat, None))
    form = http.get("/groups/new")
    assert form.status_code == 200 and 'name="slug"' in form.text
    created = http.post(
        "/groups/new",
        data={
            "csrf_token": CSRF_TOKEN,
            "slug": "quantum",
            "name": "Quantum Working Group",
            "technology_area": "Quantum",
            "charter": "Coordinates **quantum** research security.",
        },
    )
    assert created.status_code == 303 and created.headers["location"] == "/groups/quantum/manage"
    group = db.scalar(select(WorkingGroup).where(WorkingGroup.slug == "quantum"))
    assert group is not None and group.technology_area == "quantum"
    duplicate = http.post(
        "/groups/new", data={"csrf_token": CSRF_TOKEN, "slug": "quantum", "name": "Again", "technology_area": "x"}
    )
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    reserved = http.post(
        "/groups/new", data={"csrf_token": CSRF_TOKEN, "slug": "new", "name": "New", "technology_area": "x"}
    )
    assert reserved.status_code == 422
    edited = http.post(
        "/groups/quantum/manage",
        data={
            "csrf_token": CSRF_TOKEN,
            "name": "Quantum Technologies",
            "technology_area": "quantum",
            "charter": "New charter.",
            "status": "archived",
        },
    )
    assert edited.status_code == 303
    db.refresh(group)
    assert group.name == "Quantum Technologies" and group.status is GroupStatus.archived
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.group_id == group.id)).all()
    assert "group.create" in events and "group.update" in events


def test_members_added_chaired_and_removed(browser_as, make_user, make_group, db: Session) -> None:
    group = make_group("biotech-two")
    secretariat = browser_as(make_user(Role.secretariat, None))
    delegate = make_user(Role.delegate, "IN")
    observer = make_user(Role.observer, "AU")
    page = secretariat.get(f"/groups/{group.slug}/manage")
    assert delegate.display_name in page.text  # offered in the add-member list

    def post(user_id: int, **data: str) -> int:
        response = secretariat.post(
            f"/groups/{group.slug}/members", data={"csrf_token": CSRF_TOKEN, "user_id": str(user_id), **data}
        )
        return response.status_code

    assert post(delegate.id, role="chair") == 303
    assert post(observer.id, role="chair") == 422  # only delegates chair
    assert post(observer.id, role="observer") == 303
    roles = dict(db.execute(select(Membership.user_id, Membership.role).where(Membership.group_id == group.id)).all())
    assert roles == {delegate.id: MembershipRole.chair, observer.id: MembershipRole.observer}
    assert post(delegate.id, role="member") == 303
    assert post(observer.id, action="remove") == 303
    db.expire_all()
    roles = dict(db.execute(select(Membership.user_id, Membership.role).where(Membership.group_id == group.id)).all())
    assert roles == {delegate.id: MembershipRole.member}
    assert post(observer.id, action="remove") == 404


def test_group_api_for_the_secretariat(api_as, make_user, make_group) -> None:
    api = api_as(make_user(Role.secretariat, None))
    created = api.post("/api/v1/working-groups", json={"slug": "ai-safety", "name": "AI", "technology_area": "ai"})
    assert created.status_code == 201 and created.json()["slug"] == "ai-safety"
    assert (
        api.post("/api/v1/working-groups", json={"slug": "Bad Slug", "name": "x", "technology_area": "x"}).status_code
        == 422
    )
    patched = api.patch("/api/v1/working-groups/ai-safety", json={"charter": "# Charter"})
    assert patched.status_code == 200 and patched.json()["charter"] == "# Charter"
    delegate = make_user(Role.delegate, "JP")
    added = api.put("/api/v1/working-groups/ai-safety/members", json={"user_id": delegate.id, "role": "chair"})
    assert added.status_code == 200
    assert added.json()["chairs"][0]["id"] == delegate.id
    industry = make_user(Role.industry, "JP")
    refused = api.put("/api/v1/working-groups/ai-safety/members", json={"user_id": industry.id})
    assert refused.status_code == 422
    assert api.delete(f"/api/v1/working-groups/ai-safety/members/{delegate.id}").status_code == 204
    assert api.put("/api/v1/working-groups/ai-safety/members", json={"user_id": 999999}).status_code == 404


def test_delegate_home_shows_their_groups_and_news_since_last_visit(
    browser_as, make_user, make_group, db: Session
) -> None:
    delegate = make_user(Role.delegate, "AU", name="Olivia Delegate")
    group = make_group("telecom", (delegate, MembershipRole.member))
    http = browser_as(delegate)
    first = http.get("/")
    assert "My working groups" in first.text and "/groups/telecom" in first.text
    assert "since your last visit" not in first.text  # no earlier visit yet
    db.refresh(delegate)
    assert delegate.last_home_visit_at is not None
    later = http.get("/")
    assert "since your last visit" in later.text
    assert "A member joined" in later.text
    assert group.name in later.text
