"""Who may call each auth route, and what a permitted call answers (merged into the access matrix)."""

from __future__ import annotations

from tests.support.matrix import (
    ACTIVE,
    EVERYONE,
    SIGNED_IN,
    Row,
    page_row,
)

ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/login"): page_row(EVERYONE, 200, "/login"),
    ("GET", "/auth/login/{name}"): page_row(EVERYONE, 302, "/auth/login/us-gov"),
    # Without a state from /auth/login, every callback is refused, whoever calls it.
    ("GET", "/auth/callback/{name}"): page_row(set(), 0, "/auth/callback/us-gov?code=x&state=y", denied=403),
    ("GET", "/auth/onboarding"): page_row(set(), 0, "/auth/onboarding", denied=404),
    ("POST", "/auth/onboarding"): page_row(set(), 0, "/auth/onboarding", data={"organisation": "X"}, denied=404),
    ("POST", "/auth/dev-login"): page_row(set(), 0, "/auth/dev-login", data={"user_id": "1"}, denied=404),
    ("POST", "/logout"): page_row(EVERYONE, 303, "/logout"),
    ("GET", "/profile"): page_row(SIGNED_IN, 200, "/profile"),
    ("POST", "/profile/preferences"): page_row(SIGNED_IN, 303, "/profile/preferences", data={"language": "en"}),
    ("POST", "/profile/tokens"): page_row(ACTIVE, 200, "/profile/tokens", data={"name": "matrix"}),
    ("GET", "/profile/tokens/{token_id}/revoke"): page_row(
        SIGNED_IN, 200, lambda w, p: f"/profile/tokens/{w.token_id_of(p)}/revoke"
    ),
    ("POST", "/profile/tokens/{token_id}/revoke"): page_row(
        SIGNED_IN, 303, lambda w, p: f"/profile/tokens/{w.token_id_of(p)}/revoke"
    ),
    ("POST", "/profile/sign-out-everywhere"): page_row(SIGNED_IN, 303, "/profile/sign-out-everywhere"),
}
