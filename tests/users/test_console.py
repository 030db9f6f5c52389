"""The secretariat console over HTTP: search and filters, changes with a reason (audited), the confirmation step,
and approvals with history and approve-and-add-to-group."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.groups.models import Membership, MembershipRole
from app.users.models import Role, User, UserStatus
from tests.support.sessions import CSRF_TOKEN


def _events(db: Session, user: User, action: str) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.target_id == str(user.id))
    return list(db.scalars(query))


def test_api_search_filters_by_text_role_country_and_status_and_pages(api_as, make_user) -> None:
    make_user(Role.delegate, "JP", name="Hanako Sato", email="hanako.sato@mofa.example.jp")
    make_user(Role.observer, "JP", name="Ken Sato", email="ken@meti.example.jp")
    make_user(Role.delegate, "US", name="Sato Miller", email="miller@state.example.gov", status=UserStatus.disabled)
    make_user(Role.delegate, "AU", name="Alex Brown", email="alex@dfat.example.au")
    officer = api_as(make_user(Role.secretariat, None))

    found = officer.get("/api/v1/users", params={"q": "sato"}).json()
    assert {u["display_name"] for u in found["items"]} == {"Hanako Sato", "Ken Sato", "Sato Miller"}
    by_email = officer.get("/api/v1/users", params={"q": "MOFA.example"}).json()
    assert [u["display_name"] for u in by_email["items"]] == ["Hanako Sato"]
    jp_delegates = officer.get("/api/v1/users", params={"q": "sato", "role": "delegate", "country": "JP"}).json()
    assert [u["display_name"] for u in jp_delegates["items"]] == ["Hanako Sato"]
    disabled = officer.get("/api/v1/users", params={"status": "disabled"}).json()
    assert [u["display_name"] for u in disabled["items"]] == ["Sato Miller"]
    first = officer.get("/api/v1/users", params={"q": "sato", "per_page": 2}).json()
    second = officer.get("/api/v1/users", params={"q": "sato", "per_page": 2, "page": 2}).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    # "%" is looked for as itself, not as "anything".
    assert officer.get("/api/v1/users", params={"q": "%"}).json()["total"] == 0


def test_api_search_refuses_unknown_filters_and_non_staff(api_as, make_user) -> None:
    officer = api_as(make_user(Role.secretariat, None))
    bad = officer.get("/api/v1/users", params={"role": "emperor"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert officer.get("/api/v1/users", params={"country": "FR"}).status_code == 422
    assert api_as(make_user(Role.delegate, "US")).get("/api/v1/users").status_code == 403


def test_api_change_needs_a_reason_and_audits_it(api_as, make_user, db: Session) -> None:
    delegate = make_user(Role.delegate, "US")
    admin = api_as(make_user(Role.admin, None))
    missing = admin.patch(f"/api/v1/users/{delegate.id}", json={"country": "JP"})
    assert missing.status_code == 422
    changed = admin.patch(f"/api/v1/users/{delegate.id}", json={"country": "JP", "reason": "seconded to Tokyo"})
    assert changed.status_code == 200 and changed.json()["country_code"] == "JP"
    [event] = _events(db, delegate, "user.change")
    assert event.data["reason"] == "seconded to Tokyo"
    assert event.data["changes"] == {"country": {"from": "US", "to": "JP"}}


def test_the_secretariat_may_not_change_accounts_over_the_api(api_as, make_user) -> None:
    delegate = make_user(Role.delegate, "US")
    officer = api_as(make_user(Role.secretariat, None))
    assert officer.patch(f"/api/v1/users/{delegate.id}", json={"status": "disabled", "reason": "x"}).status_code == 403


def test_console_page_searches_and_keeps_filters_in_the_pager(browser_as, make_user) -> None:
    for n in range(3):
        make_user(Role.observer, "IN", name=f"Observer Patel {n}")
    officer = browser_as(make_user(Role.secretariat, None))
    page = officer.get("/admin/users", params={"q": "patel", "role": "observer", "country": "IN", "per_page": 2})
    assert page.status_code == 200
    assert "Observer Patel 0" in page.text and "Observer Patel 2" not in page.text
    assert "q=patel&amp;role=observer&amp;country=IN&amp;per_page=2&amp;page=2" in page.text
    bad = officer.get("/admin/users", params={"status": "asleep"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_the_secretariat_sees_an_account_but_no_change_form(browser_as, make_user) -> None:
    delegate = make_user(Role.delegate, "US", name="Alice Walker")
    officer = browser_as(make_user(Role.secretariat, None))
    page = officer.get(f"/admin/users/{delegate.id}")
    assert page.status_code == 200 and "Alice Walker" in page.text
    assert 'name="reason"' not in page.text
    refused = officer.post(
        f"/admin/users/{delegate.id}", data={"status": "disabled", "reason": "x", "csrf_token": CSRF_TOKEN}
    )
    assert refused.status_code == 403


def test_a_change_without_a_reason_is_refused_on_the_page_and_keeps_the_values(browser_as, make_user, db) -> None:
    delegate = make_user(Role.delegate, "US")
    admin = browser_as(make_user(Role.admin, None))
    answer = admin.post(
        f"/admin/users/{delegate.id}", data={"role": "observer", "reason": "", "csrf_token": CSRF_TOKEN}
    )
    assert answer.status_code == 422 and "give a reason" in answer.text
    assert '<option value="observer" selected' in answer.text
    db.expire_all()
    assert db.get(User, delegate.id).role is Role.delegate and not _events(db, delegate, "user.change")


def test_the_page_changes_a_role_with_a_reason_and_shows_it_in_the_history(browser_as, make_user, db) -> None:
    delegate = make_user(Role.delegate, "US")
    admin = browser_as(make_user(Role.admin, None))
    form = {"role": "observer", "country": "US", "status": "active", "reason": "now observes", "csrf_token": CSRF_TOKEN}
    answer = admin.post(f"/admin/users/{delegate.id}", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == f"/admin/users/{delegate.id}"
    page = admin.get(answer.headers["location"])
    banner = page.text.split('class="success-banner"')[1].split("</div>")[0]
    assert f"The account of {delegate.display_name} was changed." in banner and "now observes" in page.text
    db.expire_all()
    assert db.get(User, delegate.id).role is Role.observer
    [event] = _events(db, delegate, "user.change")
    assert event.data["changes"] == {"role": {"from": "delegate", "to": "observer"}}  # unchanged fields not recorded


def test_disabling_asks_are_you_sure_first_and_changes_nothing_until_confirmed(browser_as, make_user, db) -> None:
    delegate = make_user(Role.delegate, "US", name="Bob Jones")
    admin = browser_as(make_user(Role.admin, None))
    first = admin.post(
        f"/admin/users/{delegate.id}", data={"status": "disabled", "reason": "left", "csrf_token": CSRF_TOKEN}
    )
    assert first.status_code == 200 and "Are you sure?" in first.text
    assert 'name="confirmed" value="yes"' in first.text and 'value="left"' in first.text
    db.expire_all()
    assert db.get(User, delegate.id).status is UserStatus.active
    confirmed = admin.post(
        f"/admin/users/{delegate.id}",
        data={"status": "disabled", "reason": "left the delegation", "confirmed": "yes", "csrf_token": CSRF_TOKEN},
    )
    assert confirmed.status_code == 303
    db.expire_all()
    assert db.get(User, delegate.id).status is UserStatus.disabled
    [event] = _events(db, delegate, "user.change")
    assert event.data["reason"] == "left the delegation"


def test_revoking_clearance_asks_are_you_sure_first(browser_as, make_user, db) -> None:
    officer = make_user(Role.secretariat, None)
    officer.export_cleared = True
    db.commit()
    admin = browser_as(make_user(Role.admin, None))
    first = admin.post(
        f"/admin/users/{officer.id}", data={"export_cleared": "no", "reason": "rotated", "csrf_token": CSRF_TOKEN}
    )
    assert first.status_code == 200 and "Revoking the export clearance" in first.text
    db.expire_all()
    assert db.get(User, officer.id).export_cleared
    done = admin.post(
        f"/admin/users/{officer.id}",
        data={"export_cleared": "no", "reason": "rotated", "confirmed": "yes", "csrf_token": CSRF_TOKEN},
    )
    assert done.status_code == 303
    db.expire_all()
    assert not db.get(User, officer.id).export_cleared


def test_approvals_show_who_decided_what_and_when(browser_as, make_user) -> None:
    applicant = make_user(Role.industry, "AU", status=UserStatus.pending, name="Dana Radio")
    officer_user = make_user(Role.secretariat, None, name="Sam Secretariat")
    officer = browser_as(officer_user)
    answer = officer.post(f"/admin/approvals/{applicant.id}", data={"decision": "reject", "csrf_token": CSRF_TOKEN})
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/approvals"
    page = officer.get(answer.headers["location"])
    assert "The registration of Dana Radio was rejected." in page.text
    history = page.text.split('id="decisions"')[1]
    assert "Rejected" in history and "Dana Radio" in history and "Sam Secretariat" in history


def test_approve_and_add_to_a_group_in_one_step(browser_as, make_user, make_group, db) -> None:
    group = make_group("telecom")
    newcomer = make_user(Role.delegate, "IN", status=UserStatus.pending, name="Ravi Kumar")
    officer = browser_as(make_user(Role.secretariat, None))
    queue = officer.get("/admin/approvals")
    assert f'id="group-{newcomer.id}"' in queue.text
    answer = officer.post(
        f"/admin/approvals/{newcomer.id}", data={"decision": "approve", "group": "telecom", "csrf_token": CSRF_TOKEN}
    )
    assert answer.status_code == 303
    db.expire_all()
    assert db.get(User, newcomer.id).status is UserStatus.active
    membership = db.scalar(select(Membership).where(Membership.group_id == group.id, Membership.user_id == newcomer.id))
    assert membership is not None and membership.role is MembershipRole.member
    [event] = _events(db, newcomer, "user.approve")
    assert event.data["group"] == "telecom"


def test_industry_is_approved_without_a_group_and_a_forced_group_changes_nothing(
    browser_as, make_user, make_group, db
) -> None:
    make_group("telecom")
    applicant = make_user(Role.industry, "AU", status=UserStatus.pending)
    officer = browser_as(make_user(Role.secretariat, None))
    queue = officer.get("/admin/approvals")
    assert f'id="group-{applicant.id}"' not in queue.text  # industry takes part through consultations
    forced = officer.post(
        f"/admin/approvals/{applicant.id}", data={"decision": "approve", "group": "telecom", "csrf_token": CSRF_TOKEN}
    )
    assert forced.status_code == 422 and "consultations" in forced.text
    unknown = officer.post(
        f"/admin/approvals/{applicant.id}", data={"decision": "approve", "group": "nope", "csrf_token": CSRF_TOKEN}
    )
    assert unknown.status_code == 422
    db.expire_all()
    assert db.get(User, applicant.id).status is UserStatus.pending
    assert (
        officer.post(
            f"/admin/approvals/{applicant.id}", data={"decision": "approve", "csrf_token": CSRF_TOKEN}
        ).status_code
        == 303
    )
