"""Signing a test client in: a server-side session row and the signed cookie that carries its id, as the
app issues them at sign-in."""

from __future__ import annotations

import json
from base64 import b64encode
from datetime import datetime

import httpx
from itsdangerous import TimestampSigner
from sqlalchemy.orm import Session, object_session

from app.access.policy import SESSION_KEY
from app.auth import service as auth_service
from app.main import SESSION_COOKIE
from app.users.models import User

CSRF_TOKEN = "test-csrf-token-0123456789"


def session_cookie(secret_key: str, data: dict[str, object]) -> str:
    payload = b64encode(json.dumps(data).encode())
    return TimestampSigner(secret_key).sign(payload).decode()


def sign_in(
    client: httpx.Client,
    secret_key: str,
    user: User,
    *,
    db: Session | None = None,
    created_at: datetime | None = None,
    last_seen_at: datetime | None = None,
    **extra: object,
) -> str:
    """Opens a session for `user` (in the test's database session, the user's own by default) and sets its
    cookie on the client. Returns the raw session id. `created_at` / `last_seen_at` age the session."""
    db = db or object_session(user)
    assert db is not None, "pass db= for a user that is not attached to a session"
    raw = auth_service.open_session(db, user)
    record = auth_service.session_record(db, raw)
    assert record is not None
    if created_at is not None:
        record.created_at = created_at
    if last_seen_at is not None:
        record.last_seen_at = last_seen_at
    db.commit()
    data: dict[str, object] = {SESSION_KEY: raw, "csrf": CSRF_TOKEN, **extra}
    client.cookies.set(SESSION_COOKIE, session_cookie(secret_key, data), domain="127.0.0.1")
    return raw
