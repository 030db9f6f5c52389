"""Small costs every request used to pay: the session cookie re-sent, a CSRF token minted on pages without a
form, templates checked for changes on every render."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.policy import SESSION_KEY
from app.auth import service as auth_service
from app.core.db import utcnow
from app.main import SESSION_COOKIE
from app.users.models import User
from app.web import templating
from tests.conftest import SECRET_KEY, UserFactory
from tests.support.sessions import session_cookie, sign_in


def test_an_anonymous_page_without_a_form_sets_no_cookie(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert 'name="csrf_token"' not in response.text


def test_a_page_with_a_form_mints_the_token_once_and_the_cookie_is_not_sent_again(
    make_user: UserFactory, db: Session, base_url: str
) -> None:
    raw = auth_service.open_session(db, make_user())
    db.commit()
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        # A session without a CSRF token yet: the header's sign-out form needs one.
        browser.cookies.set(SESSION_COOKIE, session_cookie(SECRET_KEY, {SESSION_KEY: raw}), domain="127.0.0.1")
        first = browser.get("/")
        assert first.status_code == 200
        assert "set-cookie" in first.headers
        token = first.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert len(token) > 20
        second = browser.get("/")
        assert "set-cookie" not in second.headers
        assert f'value="{token}"' in second.text


def test_a_signed_in_session_cookie_is_not_rewritten_by_use(make_user: UserFactory, db: Session, base_url: str) -> None:
    user: User = make_user()
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        # Last used two minutes ago: this request records the use, in the database, not in the cookie.
        raw = sign_in(browser, SECRET_KEY, user, last_seen_at=utcnow() - timedelta(minutes=2))
        for _ in range(2):
            response = browser.get("/")
            assert response.status_code == 200
            assert "set-cookie" not in response.headers
            assert "Sign out" in response.text  # the sign-out form carries the session's token
    db.expire_all()
    record = auth_service.session_record(db, raw)
    assert record is not None and utcnow() - record.last_seen_at < timedelta(minutes=1)


def test_templates_are_not_rechecked_for_changes_outside_dev(app: FastAPI) -> None:
    assert templating.environment.auto_reload is False
