"""Sign-in through real OpenID Connect providers (npm oidc-provider on loopback), driven over HTTP."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.main import SESSION_COOKIE
from app.users.models import IdentityLink, Role, User, UserStatus
from tests.conftest import SECRET_KEY
from tests.oidc.harness import OidcProviders, complete_login
from tests.support.sessions import CSRF_TOKEN, session_cookie


def start(client: httpx.Client, provider: str, next_path: str = "/") -> str:
    response = client.get(f"/auth/login/{provider}", params={"next": next_path})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def sign_in_via(client: httpx.Client, provider: str, login: str, next_path: str = "/") -> httpx.Response:
    """The whole authorization-code flow; returns the app's answer to its own callback."""
    back = complete_login(client, start(client, provider, next_path), login)
    return client.get(back.headers["location"])


def user_by_email(db: Session, email: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.email_key == email.lower()))


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def refusals(db: Session) -> int:
    return db.scalar(select(func.count()).where(AuditEvent.action == "auth.refused")) or 0


def test_authorize_request_uses_pkce_state_and_nonce(client: httpx.Client, oidc: OidcProviders) -> None:
    """The redirect to the provider carries S256 PKCE, a state and a nonce."""
    location = httpx.URL(start(client, "us-gov"))
    assert str(location).startswith(oidc.issuer_url("us-gov"))
    params = location.params
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) >= 43
    assert params["state"] and params["nonce"]
    assert params["redirect_uri"].endswith("/auth/callback/us-gov")


def test_government_sign_in_creates_delegate_of_that_country(client: httpx.Client, db: Session) -> None:
    """First sign-in through the US provider makes a US delegate, linked by (issuer, subject)."""
    response = sign_in_via(client, "us-gov", "alice", "/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/profile"
    user = user_by_email(db, "alice@state.example.gov")
    assert user is not None
    assert (user.role, user.country_code, user.status) == (Role.delegate, "US", UserStatus.active)
    assert user.identities[0].subject == "alice"
    me = client.get("/profile")
    assert me.status_code == 200
    assert "Alice Walker" in me.text
    second = sign_in_via(client, "us-gov", "alice")
    assert second.status_code == 303
    assert count(db, IdentityLink) == 1


def test_session_cookie_flags(client: httpx.Client) -> None:
    response = sign_in_via(client, "us-gov", "alice")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # the test base URL is http; https adds Secure


def test_preprovisioned_account_is_linked_only_when_kind_and_country_match(
    client: httpx.Client, db: Session, make_user
) -> None:
    """A US delegate made by an admin is linked at first US sign-in; Japan's provider can't claim it."""
    account = make_user(Role.observer, "US", email="alice@state.example.gov")
    impostor = httpx.Client(base_url=str(client.base_url))
    before = refusals(db)
    refused = sign_in_via(impostor, "jp-gov", "impostor")
    assert refused.status_code == 403
    assert "another country" in refused.text
    assert count(db, IdentityLink) == 0
    assert refusals(db) == before + 1
    assert sign_in_via(client, "us-gov", "alice").status_code == 303
    linked = user_by_email(db, "alice@state.example.gov")
    assert linked is not None and linked.id == account.id and linked.role is Role.observer


def test_secretariat_provider_needs_preprovisioned_account(client: httpx.Client, db: Session, make_user) -> None:
    users_before = count(db, User)
    refused = sign_in_via(client, "secretariat", "stranger")
    assert refused.status_code == 403
    assert count(db, User) == users_before
    make_user(Role.secretariat, None, email="officer@quad-secretariat.example")
    other = httpx.Client(base_url=str(client.base_url))
    assert sign_in_via(other, "secretariat", "sec").status_code == 303


def test_industry_user_registers_waits_and_is_approved(
    client: httpx.Client, db: Session, browser_as, make_user
) -> None:
    """Industry: onboarding form (organisation, country), pending status, secretariat approval, access."""
    response = sign_in_via(client, "industry", "carol")
    assert response.headers["location"] == "/auth/onboarding"
    form = client.get("/auth/onboarding")
    assert form.status_code == 200 and "ChipCo" in form.text
    csrf = client.cookies.get(SESSION_COOKIE)
    assert csrf
    token = _csrf_from(form.text)
    bad = client.post("/auth/onboarding", data={"csrf_token": token, "organisation": " ", "country": "US"})
    assert bad.status_code == 422
    assert user_by_email(db, "carol@chipco.example.com") is None
    done = client.post("/auth/onboarding", data={"csrf_token": token, "organisation": "ChipCo", "country": "JP"})
    assert done.status_code == 303 and done.headers["location"] == "/profile"
    carol = user_by_email(db, "carol@chipco.example.com")
    assert carol is not None
    assert (carol.role, carol.status, carol.country_code, carol.organisation) == (
        Role.industry,
        UserStatus.pending,
        "JP",
        "ChipCo",
    )
    profile = client.get("/profile")
    assert "waiting for approval" in profile.text
    members_only = client.get("/api/v1/me/tokens", headers={"accept": "application/json"})
    assert members_only.status_code == 200  # own tokens: any signed-in person
    group_api = client.get("/admin/approvals")
    assert group_api.status_code == 403

    secretariat = browser_as(make_user(Role.secretariat, None))
    queue = secretariat.get("/admin/approvals")
    assert queue.status_code == 200 and "carol@chipco.example.com" in queue.text
    decided = secretariat.post(
        f"/admin/approvals/{carol.id}", data={"decision": "approve", "csrf_token": _csrf_from(queue.text)}
    )
    assert decided.status_code == 303
    db.expire_all()
    assert user_by_email(db, "carol@chipco.example.com").status is UserStatus.active  # type: ignore[union-attr]
    assert "waiting for approval" not in client.get("/profile").text


def test_pending_user_is_refused_member_pages(client: httpx.Client, db: Session) -> None:
    sign_in_via(client, "industry", "carol")
    token = _csrf_from(client.get("/auth/onboarding").text)
    client.post("/auth/onboarding", data={"csrf_token": token, "organisation": "ChipCo", "country": "US"})
    refused = client.get("/admin/approvals")
    assert refused.status_code == 403
    assert "waiting for approval" in refused.text


@pytest.mark.parametrize("mode", ["signature", "audience", "nonce", "issuer", "expired"])
def test_bad_id_tokens_are_refused(client: httpx.Client, db: Session, oidc: OidcProviders, mode: str) -> None:
    """Tampered signature, another audience, wrong nonce, wrong issuer, expired: refused, nothing created."""
    users_before, refused_before = count(db, User), refusals(db)
    back = complete_login(client, start(client, "us-gov"), "bob")
    oidc.misbehave("us-gov", mode)  # type: ignore[arg-type]
    try:
        response = client.get(back.headers["location"])
    finally:
        oidc.misbehave("us-gov", None)
    assert response.status_code == 403, response.text
    assert "<h1>" in response.text and "Traceback" not in response.text
    assert count(db, User) == users_before
    assert refusals(db) == refused_before + 1
    assert "sid" not in _session_keys(client)


def test_wrong_or_missing_state_and_replayed_code_are_refused(client: httpx.Client, db: Session) -> None:
    back = httpx.URL(complete_login(client, start(client, "us-gov"), "bob").headers["location"])
    code = back.params["code"]
    callback = "/auth/callback/us-gov"
    assert client.get(callback, params={"code": code, "state": "forged"}).status_code == 403
    assert client.get(callback, params={"code": code}).status_code == 403
    assert user_by_email(db, "bob@commerce.example.gov") is None
    # The real state once: accepted. The same code and state again: refused.
    back2 = httpx.URL(complete_login(client, start(client, "us-gov"), "bob").headers["location"])
    assert client.get(callback, params=dict(back2.params)).status_code == 303
    assert client.get(callback, params=dict(back2.params)).status_code == 403


def test_code_from_one_provider_is_refused_at_another(client: httpx.Client, db: Session) -> None:
    back = httpx.URL(complete_login(client, start(client, "us-gov"), "bob").headers["location"])
    response = client.get("/auth/callback/jp-gov", params=dict(back.params))
    assert response.status_code == 403
    assert user_by_email(db, "bob@commerce.example.gov") is None


def test_disabled_user_cannot_sign_in_and_is_signed_out(client: httpx.Client, db: Session) -> None:
    assert sign_in_via(client, "us-gov", "alice").status_code == 303
    alice = user_by_email(db, "alice@state.example.gov")
    assert alice is not None
    alice.status = UserStatus.disabled
    db.commit()
    assert client.get("/profile").status_code == 303  # signed out at the next request
    fresh = httpx.Client(base_url=str(client.base_url))
    assert sign_in_via(fresh, "us-gov", "alice").status_code == 403


def test_unverified_email_does_not_link_to_existing_account(client: httpx.Client, db: Session, make_user) -> None:
    make_user(Role.delegate, "US", email="unverified@example.gov")
    assert sign_in_via(client, "us-gov", "unverified").status_code == 403
    assert count(db, IdentityLink) == 0


@pytest.mark.parametrize(
    ("login", "email"), [("unvouched", "unvouched@example.gov"), ("stringly", "stringly@example.gov")]
)
def test_email_verified_missing_or_a_string_does_not_link(
    client: httpx.Client, db: Session, make_user, login: str, email: str
) -> None:
    """Only the JSON value true links a pre-provisioned account: a missing claim or the string "true" does not.
    The person gets a page saying why, and the refusal is audited."""
    account = make_user(Role.delegate, "US", email=email)
    before = refusals(db)
    refused = sign_in_via(client, "us-gov", login)
    assert refused.status_code == 403
    assert "has not confirmed that this email address is yours" in refused.text
    assert "<h1>" in refused.text
    assert count(db, IdentityLink) == 0
    assert refusals(db) == before + 1
    assert "sid" not in _session_keys(client)
    db.expire_all()
    assert not db.get(User, account.id).identities  # type: ignore[union-attr]


def test_provider_down_gives_a_clear_page(client: httpx.Client, app) -> None:
    """A provider that does not answer: 503 page naming it, never a 500."""
    from app.auth.oidc import OidcClients
    from app.auth.providers import ProviderRegistry

    registry = app.state.identity_providers
    down = registry.get("us-gov").model_copy(update={"issuer": "http://127.0.0.1:9"})
    working = app.state.oidc
    app.state.oidc = OidcClients(ProviderRegistry({**registry.providers, "us-gov": down}))
    try:
        response = client.get("/auth/login/us-gov")
    finally:
        app.state.oidc = working
    assert response.status_code == 503
    assert "U.S. Government Login" in response.text


def test_logout_uses_end_session_endpoint(client: httpx.Client, oidc: OidcProviders) -> None:
    sign_in_via(client, "us-gov", "alice")
    page = client.get("/profile")
    response = client.post("/logout", data={"csrf_token": _csrf_from(page.text)})
    assert response.status_code == 303
    assert response.headers["location"].startswith(oidc.issuer_url("us-gov"))
    assert "id_token_hint=" in response.headers["location"]
    assert client.get("/profile").status_code == 303


def test_login_page_lists_providers_and_no_dev_sign_in(client: httpx.Client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    for label in ("U.S. Government Login", "Japan Government Login", "Industry Login"):
        assert label in page.text
    assert "Development sign-in" not in page.text
    # A valid CSRF token (the login page no longer has a form to read one from), so the 404 is the answer.
    client.cookies.set(SESSION_COOKIE, session_cookie(SECRET_KEY, {"csrf": CSRF_TOKEN}), domain="127.0.0.1")
    assert client.post("/auth/dev-login", data={"user_id": "1", "csrf_token": CSRF_TOKEN}).status_code == 404


def _csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def _session_keys(client: httpx.Client) -> set[str]:
    import json
    from base64 import b64decode

    raw = client.cookies.get(SESSION_COOKIE)
    if not raw:
        return set()
    payload = raw.split(".")[0]
    return set(json.loads(b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.mark.parametrize("login", ["unvouched", "stringly"])
def test_an_unverified_email_makes_no_new_account(client: httpx.Client, db: Session, login: str) -> None:
    """Without a verified address no account is created, so nobody can claim another person's address first."""
    before_users, before = count(db, User), refusals(db)
    refused = sign_in_via(client, "us-gov", login)
    assert refused.status_code == 403
    assert "no account can be made with it" in refused.text
    assert count(db, User) == before_users
    assert count(db, IdentityLink) == 0
    assert refusals(db) == before + 1
