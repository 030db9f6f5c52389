"""Server-side sessions (security issue #8, findings 6, 10a, 10b): sign-out, sign-out everywhere and disabling
end the session on the server, so a copied cookie stops working; disabling and (on request) sign-out everywhere
revoke API tokens for good. All over real HTTP, signing in through the real OpenID Connect provider."""

from __future__ import annotations

import json
from base64 import b64decode

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth.models import SessionEnd, UserSession
from app.main import SESSION_COOKIE
from app.users.models import Role, User
from tests.auth.test_signin import _csrf_from, sign_in_via, user_by_email
from tests.support.sessions import CSRF_TOKEN


def signed_in_as_alice(base_url: str) -> httpx.Client:
    http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    assert sign_in_via(http, "us-gov", "alice").status_code == 303
    assert http.get("/profile").status_code == 200
    return http


def copy_of(http: httpx.Client) -> httpx.Client:
    """Another client holding a copy of the session cookie, as an attacker who copied it would."""
    value = http.cookies.get(SESSION_COOKIE)
    assert value
    copy = httpx.Client(base_url=str(http.base_url), follow_redirects=False, timeout=30)
    copy.cookies.set(SESSION_COOKIE, value, domain="127.0.0.1")
    return copy


def assert_anonymous(http: httpx.Client) -> None:
    page = http.get("/profile")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert http.get("/api/v1/me").status_code == 401


def cookie_keys(http: httpx.Client) -> set[str]:
    raw = http.cookies.get(SESSION_COOKIE)
    assert raw
    payload = raw.split(".")[0]
    return set(json.loads(b64decode(payload + "=" * (-len(payload) % 4))))


def sessions_of(db: Session, user: User) -> list[UserSession]:
    db.expire_all()
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def test_a_copied_cookie_stops_working_at_sign_out(client: httpx.Client, base_url: str, db: Session) -> None:
    laptop = signed_in_as_alice(base_url)
    # Only a random session id travels in the cookie: no user id, no id_token.
    assert "sid" in cookie_keys(laptop)
    assert not {"uid", "id_token", "idp", "sv"} & cookie_keys(laptop)
    stolen = copy_of(laptop)
    assert stolen.get("/profile").status_code == 200

    signed_out = laptop.post("/logout", data={"csrf_token": _csrf_from(laptop.get("/profile").text)})
    assert signed_out.status_code == 303
    assert "id_token_hint=" in signed_out.headers["location"]  # kept server-side for the provider's logout

    assert_anonymous(stolen)
    assert_anonymous(laptop)
    alice = user_by_email(db, "alice@state.example.gov")
    assert alice is not None
    [record] = sessions_of(db, alice)
    assert record.ended_reason is SessionEnd.sign_out and record.ended_at is not None
    assert record.id_token is None  # nothing of the provider's token outlives the session


def test_sign_out_everywhere_from_another_session_ends_a_copied_cookie(base_url: str, db: Session) -> None:
    laptop = signed_in_as_alice(base_url)
    stolen = copy_of(laptop)
    phone = signed_in_as_alice(base_url)
    form = phone.get("/profile")
    assert 'name="revoke_tokens"' in form.text
    assert phone.post("/profile/sign-out-everywhere", data={"csrf_token": _csrf_from(form.text)}).status_code == 303
    for http in (stolen, laptop, phone):
        assert_anonymous(http)
    alice = user_by_email(db, "alice@state.example.gov")
    assert alice is not None
    reasons = [s.ended_reason for s in sessions_of(db, alice)]
    assert reasons == [SessionEnd.sign_out_everywhere, SessionEnd.sign_out_everywhere]


def test_disabling_an_account_ends_its_sessions_for_good(base_url: str, db: Session, api_as, make_user) -> None:
    laptop = signed_in_as_alice(base_url)
    stolen = copy_of(laptop)
    alice = user_by_email(db, "alice@state.example.gov")
    assert alice is not None
    admin = api_as(make_user(Role.admin, None))
    assert admin.patch(f"/api/v1/users/{alice.id}", json={"status": "disabled", "reason": "left"}).status_code == 200
    assert_anonymous(stolen)
    assert [s.ended_reason for s in sessions_of(db, alice)] == [SessionEnd.disabled]
    # Re-enabling does not bring the old session back: a fresh sign-in is needed.
    assert admin.patch(f"/api/v1/users/{alice.id}", json={"status": "active", "reason": "returned"}).status_code == 200
    assert_anonymous(stolen)
    assert_anonymous(laptop)


def test_signing_in_again_replaces_the_previous_session(base_url: str, db: Session) -> None:
    http = signed_in_as_alice(base_url)
    before = copy_of(http)
    assert sign_in_via(http, "us-gov", "alice").status_code == 303
    assert http.get("/profile").status_code == 200
    assert_anonymous(before)
    alice = user_by_email(db, "alice@state.example.gov")
    assert alice is not None
    assert [s.ended_reason for s in sessions_of(db, alice)] == [SessionEnd.replaced, None]


def test_last_seen_is_not_written_on_every_request(browser_as, make_user, db: Session) -> None:
    user = make_user(Role.delegate, "US")
    http = browser_as(user)
    [record] = sessions_of(db, user)
    opened = record.last_seen_at
    for _ in range(3):
        assert http.get("/profile").status_code == 200
    [record] = sessions_of(db, user)
    assert record.last_seen_at == opened  # within the minute: no write


def test_disabling_revokes_tokens_so_re_enabling_does_not_revive_them(
    api_as, make_user, token_for, base_url: str, db: Session
) -> None:
    delegate = make_user(Role.delegate, "JP")
    raw = token_for(delegate)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert httpx.get(f"{base_url}/api/v1/me", headers=bearer).status_code == 200
    admin_user = make_user(Role.admin, None)
    admin = api_as(admin_user)
    assert admin.patch(f"/api/v1/users/{delegate.id}", json={"status": "disabled", "reason": "left"}).status_code == 200
    assert httpx.get(f"{base_url}/api/v1/me", headers=bearer).status_code == 401
    assert (
        admin.patch(f"/api/v1/users/{delegate.id}", json={"status": "active", "reason": "returned"}).status_code == 200
    )
    revived = httpx.get(f"{base_url}/api/v1/me", headers=bearer)
    assert revived.status_code == 401 and "revoked" in revived.json()["detail"]
    db.expire_all()
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "token.revoke_all", AuditEvent.actor_id == admin_user.id)
    )
    assert event is not None and event.data["reason"] == "account_disabled"


def test_rejecting_a_registration_revokes_its_tokens(api_as, make_user, token_for, base_url: str) -> None:
    from app.users.models import UserStatus

    applicant = make_user(Role.industry, "AU", status=UserStatus.pending)
    raw = token_for(applicant)
    secretariat = api_as(make_user(Role.secretariat, None))
    assert secretariat.post(f"/api/v1/users/{applicant.id}/reject").status_code == 200
    assert httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_sign_out_everywhere_can_revoke_api_tokens_too(
    browser_as, make_user, token_for, base_url: str, db: Session
) -> None:
    user = make_user(Role.delegate, "AU")
    kept = token_for(user)
    # Without the box ticked, tokens keep working.
    assert browser_as(user).post("/profile/sign-out-everywhere", data={"csrf_token": CSRF_TOKEN}).status_code == 303
    assert httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    revoked = token_for(user)
    answer = browser_as(user).post(
        "/profile/sign-out-everywhere", data={"csrf_token": CSRF_TOKEN, "revoke_tokens": "true"}
    )
    assert answer.status_code == 303
    for raw in (kept, revoked):
        assert httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    db.expire_all()
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.sign_out_everywhere", AuditEvent.actor_id == user.id)
    ).all()
    assert [e.data["tokens_revoked"] for e in events] == [0, 2]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke_all", AuditEvent.actor_id == user.id))
