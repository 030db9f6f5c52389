"""The console's forms over HTTP: a change with errors beside the fields (checkbox included), the search filters,
the approval queue's reject confirmation and group choice, and revoking someone's token from the console."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.models import ApiToken
from app.users.models import Role, User, UserStatus
from tests.support.pages import banner, error_summary, field_error, ja, summary_links, tag
from tests.support.sessions import CSRF_TOKEN

JA = {"Accept-Language": "ja"}


def test_a_change_with_an_unknown_role_is_shown_beside_the_role_in_japanese(browser_as, make_user) -> None:
    delegate = make_user(Role.delegate, "US")
    admin = browser_as(make_user(Role.admin))
    answer = admin.post(
        f"/admin/users/{delegate.id}",
        data={"csrf_token": CSRF_TOKEN, "role": "emperor", "reason": "promotion"},
        headers=JA,
    )
    assert answer.status_code == 422
    assert field_error(answer.text, "role") == ja("choose a role from the list")
    assert summary_links(answer.text) == ["role"] and ja("There is a problem") in answer.text
    assert 'aria-invalid="true"' in tag(answer.text, "role")
    assert 'value="promotion"' in tag(answer.text, "reason")


def test_the_clearance_checkbox_keeps_what_was_ticked_after_an_error(browser_as, make_user, db: Session) -> None:
    officer = make_user(Role.secretariat, name="Sam Officer")
    admin = browser_as(make_user(Role.admin))
    ticked = admin.post(
        f"/admin/users/{officer.id}",
        data={"csrf_token": CSRF_TOKEN, "export_cleared": "yes", "export_cleared_shown": "1", "reason": ""},
    )
    assert ticked.status_code == 422
    assert field_error(ticked.text, "reason") == "give a reason for the change; it is kept on the audit trail"
    assert "give a reason" in error_summary(ticked.text)
    reason = tag(ticked.text, "reason")
    assert 'aria-describedby="reason-hint reason-error"' in reason and 'aria-invalid="true"' in reason
    assert "checked" in tag(ticked.text, "export_cleared")
    db.expire_all()
    assert not db.get(User, officer.id).export_cleared  # type: ignore[union-attr]

    granted = admin.post(
        f"/admin/users/{officer.id}",
        data={"csrf_token": CSRF_TOKEN, "export_cleared": "yes", "export_cleared_shown": "1", "reason": "audit role"},
    )
    assert granted.status_code == 303
    db.expire_all()
    assert db.get(User, officer.id).export_cleared  # type: ignore[union-attr]
    page = admin.get(granted.headers["location"]).text
    assert banner(page) == "The account of Sam Officer was changed."
    assert "checked" in tag(page, "export_cleared")

    # Unticked (the box is not sent) with no reason: the form comes back unticked, and nothing changed.
    unticked = admin.post(
        f"/admin/users/{officer.id}", data={"csrf_token": CSRF_TOKEN, "export_cleared_shown": "1", "reason": " "}
    )
    assert unticked.status_code == 422 and "checked" not in tag(unticked.text, "export_cleared")
    # Unticked with a reason: revoking clearance asks "are you sure?" first.
    asked = admin.post(
        f"/admin/users/{officer.id}", data={"csrf_token": CSRF_TOKEN, "export_cleared_shown": "1", "reason": "rotated"}
    )
    assert asked.status_code == 200 and "Revoking the export clearance" in asked.text
    assert '<input type="hidden" name="export_cleared" value="no">' in asked.text


def test_search_filters_out_of_the_lists_are_shown_beside_the_filter(browser_as, make_user) -> None:
    officer = browser_as(make_user(Role.secretariat))
    answer = officer.get("/admin/users", params={"q": "kim", "role": "emperor"}, headers=JA)
    assert answer.status_code == 422
    assert field_error(answer.text, "f-role") == ja("choose a role from the list")
    assert 'value="kim"' in tag(answer.text, "f-q")


def test_rejecting_a_registration_asks_first_and_keeps_the_reason(browser_as, make_user, db: Session) -> None:
    applicant = make_user(Role.industry, "AU", status=UserStatus.pending, name="Dana Radio", organisation="Radio Co")
    officer = browser_as(make_user(Role.secretariat))
    queue = officer.get("/admin/approvals").text
    assert f'href="/admin/approvals/{applicant.id}/reject"' in queue

    asked = officer.get(f"/admin/approvals/{applicant.id}/reject")
    assert asked.status_code == 200 and "<h1>Reject the registration of Dana Radio?</h1>" in asked.text
    assert "Radio Co" in asked.text and 'aria-describedby="reason-hint"' in tag(asked.text, "reason")
    asked_ja = officer.get(f"/admin/approvals/{applicant.id}/reject", headers=JA).text
    assert ja("Reject the registration of %(name)s?") % {"name": "Dana Radio"} in asked_ja
    db.expire_all()
    assert db.get(User, applicant.id).status is UserStatus.pending  # type: ignore[union-attr]

    done = officer.post(
        f"/admin/approvals/{applicant.id}/reject", data={"csrf_token": CSRF_TOKEN, "reason": "Not a Quad company"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/approvals"
    page = officer.get("/admin/approvals").text
    assert banner(page) == "The registration of Dana Radio was rejected."
    assert "Reason: Not a Quad company" in page.split('id="decisions"')[1]
    db.expire_all()
    assert db.get(User, applicant.id).status is UserStatus.disabled  # type: ignore[union-attr]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.reject"))
    assert event is not None and event.data == {"reason": "Not a Quad company"}
    assert officer.get(f"/admin/approvals/{applicant.id}/reject").status_code == 409


def test_approving_says_so_and_an_unknown_group_is_shown_beside_its_choice(
    browser_as, make_user, make_group, db: Session
) -> None:
    make_group("telecom")
    newcomer = make_user(Role.delegate, "IN", status=UserStatus.pending, name="Ravi Kumar")
    officer = browser_as(make_user(Role.secretariat))
    unknown = officer.post(
        f"/admin/approvals/{newcomer.id}", data={"csrf_token": CSRF_TOKEN, "decision": "approve", "group": "nope"}
    )
    assert unknown.status_code == 422
    assert field_error(unknown.text, f"group-{newcomer.id}") == "choose a working group from the list"
    no_decision = officer.post(f"/admin/approvals/{newcomer.id}", data={"csrf_token": CSRF_TOKEN, "decision": "maybe"})
    assert no_decision.status_code == 422
    assert "choose to approve or to reject the registration" in error_summary(no_decision.text)
    approved = officer.post(
        f"/admin/approvals/{newcomer.id}", data={"csrf_token": CSRF_TOKEN, "decision": "approve", "group": "telecom"}
    )
    assert approved.status_code == 303
    assert banner(officer.get("/admin/approvals").text) == "The registration of Ravi Kumar was approved."


def test_an_admin_revokes_someones_token_from_the_console_with_a_reason(
    browser_as, make_user, db: Session, base_url: str
) -> None:
    delegate = make_user(Role.delegate, "JP", name="Hanako Yamada")
    token, raw = auth_service.create_token(db, SYSTEM, delegate, name="laptop")
    db.commit()
    admin = browser_as(make_user(Role.admin))
    account = admin.get(f"/admin/users/{delegate.id}").text
    revoke_path = f"/admin/users/{delegate.id}/tokens/{token.id}/revoke"
    assert f'href="{revoke_path}"' in account
    assert 'id="tokens"' not in browser_as(make_user(Role.secretariat)).get(f"/admin/users/{delegate.id}").text

    asked = admin.get(revoke_path)
    assert asked.status_code == 200 and "<h1>Revoke the API token laptop?</h1>" in asked.text
    assert "Hanako Yamada" in asked.text
    done = admin.post(revoke_path, data={"csrf_token": CSRF_TOKEN, "reason": "Laptop stolen"})
    assert done.status_code == 303 and done.headers["location"] == f"/admin/users/{delegate.id}"
    assert banner(admin.get(done.headers["location"]).text) == "API token laptop revoked."
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is not None  # type: ignore[union-attr]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke"))
    assert event is not None and event.data == {"user_id": delegate.id, "reason": "Laptop stolen"}
    assert httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    # A token of someone else, under this person's address, is not found.
    other = make_user(Role.delegate, "US")
    others, _ = auth_service.create_token(db, SYSTEM, other, name="theirs")
    db.commit()
    assert admin.get(f"/admin/users/{delegate.id}/tokens/{others.id}/revoke").status_code == 404
