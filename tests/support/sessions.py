"""Signing a test client in: the same signed cookie the app's SessionMiddleware issues at sign-in."""

from __future__ import annotations

import json
import time
from base64 import b64encode

import httpx
from itsdangerous import TimestampSigner

from app.main import SESSION_COOKIE
from app.users.models import User

CSRF_TOKEN = "test-csrf-token-0123456789"


def session_cookie(secret_key: str, data: dict[str, object]) -> str:
    payload = b64encode(json.dumps(data).encode())
    return TimestampSigner(secret_key).sign(payload).decode()


def sign_in(client: httpx.Client, secret_key: str, user: User, **extra: object) -> None:
    now = int(time.time())
    data: dict[str, object] = {
        "uid": user.id,
        "sv": user.session_version,
        "iat": now,
        "seen": now,
        "csrf": CSRF_TOKEN,
        **extra,
    }
    client.cookies.set(SESSION_COOKIE, session_cookie(secret_key, data), domain="127.0.0.1")
