"""API token authentication on /api/v1/me, and managing one's own tokens through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken
from app.auth.service import hash_token
from app.core.db import utcnow
from app.users.models import Role, User, UserStatus
from tests.support.sessions import CSRF_TOKEN

PROBLEM_JSON = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    """An RFC 9457 problem document with the given status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    body = response.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, f"problem document lacks {member!r}: {body}"
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def stored_token(db: Session, raw: str) -> ApiToken:
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    assert token is not None
    return token


def test_valid_token_identifies_the_user(
    client: httpx.Client, make_user: Callable[..., User], token_for: Callable[..., str]
) -> None:
    """A valid token gives 200 with the owner's email, role and country."""
    user = make_user(Role.delegate, "JP", email="Hanako.Token@example.org")
    response = client.get("/api/v1/me", headers=bearer(token_for(user)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == user.email
    assert body["role"] == "delegate"
    assert body["country_code"] == "JP"
    assert body["id"] == user.id


def test_missing_token_is_401(client: httpx.Client) -> None:
    """No credentials at all: 401 problem+json."""
    assert_problem(client.get("/api/v1/me"), 401)


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer a b", "qd_nospace"])
def test_malformed_authorization_header_is_401(client: httpx.Client, header: str) -> None:
    """A header that is not exactly 'Bearer <token>' is refused with 401 problem+json."""
    assert_problem(client.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_wrong_token_is_401(
    client: httpx.Client, make_user: Callable[..., User], token_for: Callable[..., str]
) -> None:
    """A well-formed token that does not exist (one character changed, or no prefix) is refused."""
    raw = token_for(make_user())
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    assert_problem(client.get("/api/v1/me", headers=bearer(tampered)), 401)
    assert_problem(client.get("/api/v1/me", headers=bearer("not-a-quad-token")), 401)


def test_revoked_token_is_401(
    client: httpx.Client, make_user: Callable[..., User], api_as: Callable[[User], httpx.Client]
) -> None:
    """A token revoked through DELETE /api/v1/me/tokens/{id} stops working at once."""
    user = make_user()
    http = api_as(user)
    created = http.post("/api/v1/me/tokens", json={"name": "to revoke"})
    assert created.status_code == 201, created.text
    secret, token_id = created.json()["token"], created.json()["id"]
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200

    assert http.delete(f"/api/v1/me/tokens/{token_id}").status_code == 204
    body = assert_problem(client.get("/api/v1/me", headers=bearer(secret)), 401)
    assert "revoked" in str(body["detail"])
    listed = {t["id"]: t for t in http.get("/api/v1/me/tokens").json()["items"]}
    assert listed[token_id]["revoked_at"] is not None


def test_expired_token_is_401(
    client: httpx.Client, db: Session, make_user: Callable[..., User], token_for: Callable[..., str]
) -> None:
    """A token whose expiry has passed is refused; before that it works."""
    raw = token_for(make_user(), expires_days=1)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    token = stored_token(db, raw)
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    body = assert_problem(client.get("/api/v1/me", headers=bearer(raw)), 401)
    assert "expired" in str(body["detail"])


def test_disabled_user_token_is_401(
    client: httpx.Client, db: Session, make_user: Callable[..., User], token_for: Callable[..., str]
) -> None:
    """Disabling an account makes its existing tokens useless."""
    user = make_user()
    raw = token_for(user)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    user.status = UserStatus.disabled
    db.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(raw)), 401)


def test_bad_token_is_refused_on_public_endpoints_too(client: httpx.Client) -> None:
    """A bad token is an error even where anonymous access is allowed, never a silent downgrade."""
    assert_problem(client.get("/api/v1/countries", headers=bearer("qd_bogus_token")), 401)


def test_create_token_shows_secret_once(
    client: httpx.Client, make_user: Callable[..., User], api_as: Callable[[User], httpx.Client]
) -> None:
    """POST /api/v1/me/tokens returns the secret (201) once; listings show the prefix, never the secret."""
    user = make_user(Role.secretariat)
    http = api_as(user)
    response = http.post("/api/v1/me/tokens", json={"name": "ci pipeline", "expires_days": 30})
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["token"]
    assert secret.startswith("qd_") and secret.startswith(created["prefix"])
    assert created["name"] == "ci pipeline"
    assert created["expires_at"] is not None

    assert client.get("/api/v1/me", headers=bearer(secret)).json()["email"] == user.email

    listing = http.get("/api/v1/me/tokens")
    assert listing.status_code == 200
    items = listing.json()["items"]
    mine = [t for t in items if t["id"] == created["id"]]
    assert len(mine) == 1
    assert mine[0]["prefix"] == created["prefix"]
    assert "token" not in mine[0]
    assert secret not in listing.text
    assert all("token_hash" not in t for t in items)


def test_cannot_revoke_someone_elses_token(
    client: httpx.Client,
    db: Session,
    make_user: Callable[..., User],
    api_as: Callable[[User], httpx.Client],
    token_for: Callable[..., str],
) -> None:
    """Revoking another user's token is 404 (ids reveal nothing) and leaves it working."""
    owner, other = make_user(), make_user(Role.delegate, "AU")
    raw = token_for(owner)
    token_id = stored_token(db, raw).id
    assert_problem(api_as(other).delete(f"/api/v1/me/tokens/{token_id}"), 404)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    assert_problem(api_as(other).delete("/api/v1/me/tokens/999999999"), 404)


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 81}, {"name": "ok", "expires_days": 0}, {"name": "ok", "expires_days": "soon"}],
)
def test_invalid_token_request_is_422(
    make_user: Callable[..., User], api_as: Callable[[User], httpx.Client], body: dict[str, object]
) -> None:
    """An invalid body is 422 problem+json and creates nothing."""
    http = api_as(make_user())
    before = http.get("/api/v1/me/tokens").json()["total"]
    assert_problem(http.post("/api/v1/me/tokens", json=body), 422)
    assert http.get("/api/v1/me/tokens").json()["total"] == before


def test_token_endpoints_need_sign_in(client: httpx.Client) -> None:
    """Anonymous callers cannot list, create or revoke tokens."""
    assert_problem(client.get("/api/v1/me/tokens"), 401)
    assert_problem(client.post("/api/v1/me/tokens", json={"name": "x"}), 401)
    assert_problem(client.delete("/api/v1/me/tokens/1"), 401)


def test_browser_session_works_for_the_api(
    make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]
) -> None:
    """The API also accepts the browser's signed session cookie."""
    user = make_user(Role.observer, "IN")
    response = browser_as(user).get("/api/v1/me")
    assert response.status_code == 200, response.text
    assert response.json()["email"] == user.email


def test_session_writes_to_the_api_need_csrf(
    make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]
) -> None:
    """With a session (not a token) an API write needs the CSRF header; with it the write succeeds."""
    http = browser_as(make_user())
    assert_problem(http.post("/api/v1/me/tokens", json={"name": "from the browser"}), 403)
    assert http.get("/api/v1/me/tokens").json()["total"] == 0
    created = http.post("/api/v1/me/tokens", json={"name": "from the browser"}, headers={"X-CSRF-Token": CSRF_TOKEN})
    assert created.status_code == 201, created.text


def test_export_clearance_shows_in_me_and_nowhere_public(api_as, make_user, make_group, client, db) -> None:
    """A cleared officer sees their clearance in /me; member summaries in public group data never carry it."""
    from app.groups.models import MembershipRole

    officer = make_user(Role.secretariat, None)
    officer.export_cleared = True
    db.commit()
    assert api_as(officer).get("/api/v1/me").json()["export_cleared"] is True
    chair = make_user(Role.delegate, "US")
    make_group("clearance-check", (chair, MembershipRole.chair))
    group = client.get("/api/v1/working-groups/clearance-check").json()
    assert group["chairs"] and "export_cleared" not in group["chairs"][0]
