"""Sessions, CSRF, security headers, rate limits and development sign-in, over real HTTP."""

from __future__ import annotations

import re
import secrets
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.core.db import build_engine, build_sessionmaker, utcnow
from app.demo import seed_demo
from app.main import SESSION_COOKIE, create_app
from app.users.models import Role
from tests.conftest import SECRET_KEY, make_settings
from tests.support.databases import migrated_scratch_database
from tests.support.server import serve
from tests.support.sessions import CSRF_TOKEN, sign_in


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_forms_without_or_with_a_wrong_csrf_token_are_refused(browser_as, make_user) -> None:
    http = browser_as(make_user(Role.delegate, "US"))
    assert http.post("/profile/tokens", data={"name": "x"}).status_code == 403
    assert http.post("/profile/tokens", data={"name": "x", "csrf_token": "wrong"}).status_code == 403
    assert http.post("/profile/tokens", data={"name": "x", "csrf_token": CSRF_TOKEN}).status_code == 200


def test_script_requests_with_a_session_need_the_csrf_header(browser_as, make_user) -> None:
    http = browser_as(make_user(Role.delegate, "US"))
    refused = http.post("/api/v1/me/tokens", json={"name": "script"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (
        http.post("/api/v1/me/tokens", json={"name": "script"}, headers={"x-csrf-token": CSRF_TOKEN}).status_code == 201
    )


def test_bearer_requests_are_exempt_from_csrf(api_as, make_user) -> None:
    assert api_as(make_user(Role.delegate, "US")).post("/api/v1/me/tokens", json={"name": "cli"}).status_code == 201


def test_security_headers_on_pages_api_and_errors(client: httpx.Client) -> None:
    for path in ("/", "/api/v1/countries", "/no-such-page", "/static/quad.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]
        assert "strict-transport-security" not in headers  # plain http in tests


def test_pages_have_no_inline_script(client: httpx.Client) -> None:
    assert "<script" not in client.get("/").text


def test_https_base_url_adds_hsts_and_secure_cookies(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database_url, tmp_path, "https://quad.example.org"))
    with serve(app) as url:
        response = httpx.get(f"{url}/language?lang=ja")  # a page that writes the session
    assert response.headers["strict-transport-security"].startswith("max-age=")
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_idle_and_absolute_session_timeouts(base_url: str, make_user, settings) -> None:
    user = make_user(Role.delegate, "US")
    now = utcnow()
    idle = httpx.Client(base_url=base_url)
    idle_for = timedelta(minutes=settings.session_idle_minutes, seconds=5)
    sign_in(idle, SECRET_KEY, user, last_seen_at=now - idle_for)
    assert idle.get("/profile").status_code == 303
    old = httpx.Client(base_url=base_url)
    sign_in(old, SECRET_KEY, user, created_at=now - timedelta(hours=settings.session_max_hours, seconds=5))
    assert old.get("/profile").status_code == 303
    fresh = httpx.Client(base_url=base_url)
    sign_in(fresh, SECRET_KEY, user)
    assert fresh.get("/profile").status_code == 200


def test_sign_out_everywhere_ends_every_session(browser_as, make_user) -> None:
    user = make_user(Role.delegate, "JP")
    laptop, phone = browser_as(user), browser_as(user)
    assert phone.get("/profile").status_code == 200
    response = laptop.post("/profile/sign-out-everywhere", data={"csrf_token": CSRF_TOKEN})
    assert response.status_code == 303
    assert phone.get("/profile").status_code == 303
    assert laptop.get("/profile").status_code == 303


def test_tampered_session_cookie_is_ignored(client: httpx.Client, make_user) -> None:
    sign_in(client, SECRET_KEY, make_user(Role.admin, None))
    value = client.cookies.get(SESSION_COOKIE)
    assert value
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), domain="127.0.0.1")
    assert client.get("/profile").status_code == 303


def test_tokens_through_the_profile_page(browser_as, make_user, base_url: str) -> None:
    http = browser_as(make_user(Role.delegate, "AU"))
    created = http.post("/profile/tokens", data={"name": "laptop", "expires_days": "30", "csrf_token": CSRF_TOKEN})
    assert created.status_code == 200
    token = re.search(r'<code class="token">(qd_[^<]+)</code>', created.text)
    assert token, "the new token is shown once"
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert httpx.get(f"{base_url}/api/v1/me", headers=bearer).status_code == 200
    page = http.get("/profile")
    assert token.group(1) not in page.text and "laptop" in page.text
    token_id = re.search(r'href="/profile/tokens/(\d+)/revoke"', page.text)
    assert token_id
    confirm = http.get(f"/profile/tokens/{token_id.group(1)}/revoke")
    assert confirm.status_code == 200 and "Revoke the API token laptop?" in confirm.text
    assert http.post(f"/profile/tokens/{token_id.group(1)}/revoke", data={"csrf_token": CSRF_TOKEN}).status_code == 303
    assert httpx.get(f"{base_url}/api/v1/me", headers=bearer).status_code == 401
    bad = http.post("/profile/tokens", data={"name": "", "csrf_token": CSRF_TOKEN})
    assert bad.status_code == 422


def test_admin_revokes_anyones_token_and_changes_delegate_to_observer(
    api_as, make_user, token_for, base_url: str, db: Session
) -> None:
    delegate = make_user(Role.delegate, "IN")
    raw = token_for(delegate)
    owner_tokens = httpx.get(f"{base_url}/api/v1/me/tokens", headers={"Authorization": f"Bearer {raw}"}).json()
    token_id = owner_tokens["items"][0]["id"]
    admin = api_as(make_user(Role.admin, None))
    assert admin.delete(f"/api/v1/users/{delegate.id}/tokens/{token_id}").status_code == 204
    assert httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    changed = admin.patch(f"/api/v1/users/{delegate.id}", json={"role": "observer", "reason": "now observing"})
    assert changed.status_code == 200 and changed.json()["role"] == "observer"
    assert admin.patch(f"/api/v1/users/{delegate.id}", json={"role": "admin", "reason": "promotion"}).status_code == 422


def test_sign_in_is_rate_limited_per_address(database_url: str, tmp_path: Path, idp_file: Path) -> None:
    settings = make_settings(
        database_url, tmp_path, "http://127.0.0.1:1", QUAD_IDP_FILE=str(idp_file), QUAD_LOGIN_RATE_LIMIT="3/minute"
    )
    with serve(create_app(settings)) as url:
        answers = [httpx.get(f"{url}/auth/login/us-gov").status_code for _ in range(4)]
        limited = httpx.get(f"{url}/auth/login/us-gov")
    assert answers[:3] == [302, 302, 302]
    assert answers[3] == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Too many" in limited.text


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server at 127.0.0.1:6379 (CI machines have one)")
    yield url


def test_rate_limits_are_shared_through_redis(
    database_url: str, tmp_path: Path, idp_file: Path, redis_url: str
) -> None:
    """Two instances with the same REDIS_URL count together: the third request, on the other instance, is 429."""
    common = {
        "QUAD_IDP_FILE": str(idp_file),
        "QUAD_LOGIN_RATE_LIMIT": "2/minute",
        "REDIS_URL": redis_url,
        "QUAD_RATE_LIMIT_PREFIX": f"test-{secrets.token_hex(4)}",
    }
    first = create_app(make_settings(database_url, tmp_path / "a", "http://127.0.0.1:1", **common))
    second = create_app(make_settings(database_url, tmp_path / "b", "http://127.0.0.1:1", **common))
    with serve(first) as one, serve(second) as two:
        assert httpx.get(f"{one}/auth/login/us-gov").status_code == 302
        assert httpx.get(f"{two}/auth/login/us-gov").status_code == 302
        third = httpx.get(f"{two}/auth/login/us-gov")
    assert third.status_code == 429
    assert third.headers["retry-after"]


def test_token_creation_is_rate_limited_per_account(tmp_path: Path) -> None:
    pass_through = {"QUAD_TOKEN_RATE_LIMIT": "2/minute"}
    with migrated_scratch_database() as url:
        app = create_app(make_settings(url, tmp_path, "http://127.0.0.1:1", **pass_through))
        engine = build_engine(url)
        with build_sessionmaker(engine)() as session, session.begin():
            seed_demo(session)
        from app.auth import service as auth_service
        from app.users import service as users

        with build_sessionmaker(engine)() as session, session.begin():
            _, raw = auth_service.create_token(
                session, SYSTEM, users.require_by_email(session, "e.carter@state.example.gov"), name="t"
            )
        engine.dispose()
        with serve(app) as base:
            headers = {"Authorization": f"Bearer {raw}"}
            codes = [
                httpx.post(f"{base}/api/v1/me/tokens", json={"name": "n"}, headers=headers).status_code
                for _ in range(3)
            ]
        app.state.engine.dispose()
    assert codes == [201, 201, 429]


def test_development_sign_in_only_in_dev(tmp_path: Path) -> None:
    """In dev with no provider configured, /login offers demo users; picking one signs in."""
    with migrated_scratch_database() as url:
        engine = build_engine(url)
        with build_sessionmaker(engine)() as session, session.begin():
            seed_demo(session)
        engine.dispose()
        app = create_app(make_settings(url, tmp_path, "http://127.0.0.1:1", QUAD_ENV="dev"))
        with serve(app) as base, httpx.Client(base_url=base) as http:
            page = http.get("/login")
            assert "Development sign-in" in page.text
            user_id = re.search(r'<option value="(\d+)">Emily Carter', page.text)
            assert user_id
            signed = http.post(
                "/auth/dev-login",
                data={"user_id": user_id.group(1), "next": "/profile", "csrf_token": csrf_of(page.text)},
            )
            assert signed.status_code == 303 and signed.headers["location"] == "/profile"
            assert "Emily Carter" in http.get("/profile").text
        app.state.engine.dispose()


# Security issue #8, finding 10e: private answers are never cached ------------------------------------------------


def test_private_answers_carry_no_store_and_public_pages_stay_cacheable(
    client: httpx.Client, browser_as, api_as, make_user
) -> None:
    user = make_user(Role.delegate, "US")
    signed_in = browser_as(user)
    for path in ("/profile", "/", "/api/v1/me", "/api/v1/working-groups"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    bearer = api_as(user)
    for path in ("/api/v1/me", "/api/v1/countries"):
        response = bearer.get(path)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path
    # Errors, to anyone: a 404 page, an API 401, a bad bearer token.
    assert client.get("/no-such-page").headers["cache-control"] == "no-store"
    assert client.get("/api/v1/me").headers["cache-control"] == "no-store"
    refused = client.get("/api/v1/countries", headers={"Authorization": "Bearer qd_nonsense"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    # Public anonymous pages and files keep their cacheability.
    for path in ("/", "/api/v1/countries", "/static/quad.css"):
        response = client.get(path)
        assert response.status_code == 200 and "no-store" not in response.headers.get("cache-control", ""), path


# Finding 10d: the data folder and the embedded database are private ---------------------------------------------


def test_fresh_data_folder_and_database_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "var"
    # The embedded default: no DATABASE_URL and no SECRET_KEY, so the database and the key go in the data folder.
    app = create_app(make_settings("", data_dir, "http://127.0.0.1:1", SECRET_KEY=""))
    try:
        with serve(app) as url:
            assert httpx.get(f"{url}/readyz").status_code == 503  # answers: the (unmigrated) database was opened
            with app.state.engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
                connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
            with app.state.engine.connect() as connection:
                connection.exec_driver_sql("SELECT x FROM probe").all()
                mode_of = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data_dir.iterdir() if p.is_file()}
    finally:
        app.state.engine.dispose()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert {"quad.db", "quad.db-wal", "quad.db-shm", "secret_key"} <= set(mode_of)
    assert all(mode == 0o600 for mode in mode_of.values()), mode_of


def test_existing_loose_data_folder_is_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    (data_dir / "quad.db").touch()
    (data_dir / "quad.db").chmod(0o644)
    app = create_app(make_settings("", data_dir, "http://127.0.0.1:1"))
    app.state.engine.dispose()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "quad.db").stat().st_mode) == 0o600


# Finding 11: behind a trusted proxy each client has its own sign-in bucket ------------------------------------------


def _sign_in_codes(url: str, forwarded_for: list[str]) -> list[int]:
    return [
        httpx.get(f"{url}/auth/login/us-gov", headers={"X-Forwarded-For": address}).status_code
        for address in forwarded_for
    ]


def test_clients_behind_a_trusted_proxy_get_their_own_rate_limit(
    database_url: str, tmp_path: Path, idp_file: Path
) -> None:
    """The test server's peer (127.0.0.1) is the trusted proxy: each X-Forwarded-For client has its own bucket."""
    settings = make_settings(
        database_url,
        tmp_path,
        "http://127.0.0.1:1",
        QUAD_IDP_FILE=str(idp_file),
        QUAD_LOGIN_RATE_LIMIT="2/minute",
        QUAD_TRUSTED_PROXIES="10.9.8.7, 127.0.0.1",
    )
    with serve(create_app(settings)) as url:
        first = _sign_in_codes(url, ["203.0.113.1", "203.0.113.1", "203.0.113.1"])
        # A client cannot escape its bucket by prepending a made-up address: the proxy appends the real one.
        spoofed = _sign_in_codes(url, ["198.51.100.9, 203.0.113.1"])
        second = _sign_in_codes(url, ["203.0.113.2", "203.0.113.2"])
    assert first == [302, 302, 429]
    assert spoofed == [429]
    assert second == [302, 302]


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(database_url: str, tmp_path: Path, idp_file: Path) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        "http://127.0.0.1:1",
        QUAD_IDP_FILE=str(idp_file),
        QUAD_LOGIN_RATE_LIMIT="2/minute",
        QUAD_TRUSTED_PROXIES="10.9.8.7",  # not the test client's address
    )
    with serve(create_app(settings)) as url:
        codes = _sign_in_codes(url, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
    assert codes == [302, 302, 429]  # one bucket: the peer's own address


def test_a_configured_database_leaves_the_folder_it_sits_in_alone(tmp_path: Path) -> None:
    """The folder of a DATABASE_URL file may be anyone's (even /tmp): only the file itself is made private."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: sticky and open to all
    engine = build_engine(f"sqlite:///{shared / 'quad.db'}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").all()
    finally:
        engine.dispose()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "quad.db").stat().st_mode) == 0o600
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o755)
    build_engine(f"sqlite:///{loose / 'quad.db'}").dispose()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o755
