"""Who may call each users route, and what a permitted call answers (merged into the access matrix)."""

from __future__ import annotations

from tests.support.matrix import (
    ACTIVE,
    SIGNED_IN,
    STAFF,
    Row,
    page_row,
)

ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/me"): Row(SIGNED_IN, 200, "/api/v1/me"),
    ("GET", "/api/v1/me/tokens"): Row(SIGNED_IN, 200, "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"): Row(ACTIVE, 201, "/api/v1/me/tokens", json={"name": "matrix"}),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Row(
        SIGNED_IN, 204, lambda w, p: f"/api/v1/me/tokens/{w.token_id_of(p)}"
    ),
    ("GET", "/api/v1/users"): Row(STAFF, 200, "/api/v1/users?q=a&role=delegate&country=US&status=active"),
    ("GET", "/api/v1/users/pending"): Row(STAFF, 200, "/api/v1/users/pending"),
    ("POST", "/api/v1/users/{user_id}/approve"): Row(
        STAFF, 200, lambda w, p: f"/api/v1/users/{w.fresh_pending()}/approve"
    ),
    ("POST", "/api/v1/users/{user_id}/reject"): Row(
        STAFF, 200, lambda w, p: f"/api/v1/users/{w.fresh_pending()}/reject"
    ),
    ("PATCH", "/api/v1/users/{user_id}"): Row(
        {"admin"},
        200,
        lambda w, p: f"/api/v1/users/{w.fresh_delegate()}",
        json={"role": "observer", "reason": "matrix"},
    ),
    ("DELETE", "/api/v1/users/{user_id}/tokens/{token_id}"): Row(
        {"admin"}, 204, lambda w, p: f"/api/v1/users/{w.users['jp_delegate'].id}/tokens/{w.token_id_of('jp_delegate')}"
    ),
    ("GET", "/admin/approvals"): page_row(STAFF, 200, "/admin/approvals"),
    ("GET", "/admin/users"): page_row(STAFF, 200, "/admin/users?q=a&role=delegate"),
    ("GET", "/admin/users/{user_id}"): page_row(STAFF, 200, lambda w, p: f"/admin/users/{w.users['jp_delegate'].id}"),
    ("POST", "/admin/users/{user_id}"): page_row(
        {"admin"}, 303, lambda w, p: f"/admin/users/{w.fresh_delegate()}", data={"role": "observer", "reason": "matrix"}
    ),
    ("POST", "/admin/approvals/{user_id}"): page_row(
        STAFF, 303, lambda w, p: f"/admin/approvals/{w.fresh_pending()}", data={"decision": "approve"}
    ),
    ("GET", "/admin/approvals/{user_id}/reject"): page_row(
        STAFF, 200, lambda w, p: f"/admin/approvals/{w.fresh_pending()}/reject"
    ),
    ("POST", "/admin/approvals/{user_id}/reject"): page_row(
        STAFF, 303, lambda w, p: f"/admin/approvals/{w.fresh_pending()}/reject", data={"reason": "matrix"}
    ),
    ("GET", "/admin/users/{user_id}/tokens/{token_id}/revoke"): page_row(
        {"admin"},
        200,
        lambda w, p: f"/admin/users/{w.users['jp_delegate'].id}/tokens/{w.token_id_of('jp_delegate')}/revoke",
    ),
    ("POST", "/admin/users/{user_id}/tokens/{token_id}/revoke"): page_row(
        {"admin"},
        303,
        lambda w, p: f"/admin/users/{w.users['jp_delegate'].id}/tokens/{w.token_id_of('jp_delegate')}/revoke",
        data={"reason": "matrix"},
    ),
}
