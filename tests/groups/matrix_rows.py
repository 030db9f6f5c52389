"""Who may call each groups route, and what a permitted call answers (merged into the access matrix)."""

from __future__ import annotations

from tests.support.matrix import (
    EVERYONE,
    STAFF,
    Row,
    page_row,
)

ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/working-groups"): Row(EVERYONE, 200, "/api/v1/working-groups"),
    ("GET", "/api/v1/working-groups/{slug}"): Row(EVERYONE, 200, lambda w, p: f"/api/v1/working-groups/{w.group_slug}"),
    ("GET", "/groups/{slug}"): page_row(EVERYONE, 200, lambda w, p: f"/groups/{w.group_slug}"),
    # Working-group management
    ("POST", "/api/v1/working-groups"): Row(
        STAFF,
        201,
        "/api/v1/working-groups",
        json=lambda w: {"slug": w.fresh_slug(), "name": "New", "technology_area": "quantum"},
    ),
    ("PATCH", "/api/v1/working-groups/{slug}"): Row(
        STAFF, 200, lambda w, p: f"/api/v1/working-groups/{w.group_slug}", json={"charter": "Updated."}
    ),
    ("PUT", "/api/v1/working-groups/{slug}/members"): Row(
        STAFF,
        200,
        lambda w, p: f"/api/v1/working-groups/{w.group_slug}/members",
        json=lambda w: {"user_id": w.users["jp_delegate"].id, "role": "member"},
    ),
    ("DELETE", "/api/v1/working-groups/{slug}/members/{user_id}"): Row(
        STAFF, 204, lambda w, p: f"/api/v1/working-groups/{w.group_slug}/members/{w.fresh_member()}"
    ),
    ("GET", "/groups/new"): page_row(STAFF, 200, "/groups/new"),
    ("POST", "/groups/new"): page_row(
        STAFF, 303, "/groups/new", data=lambda w: {"slug": w.fresh_slug(), "name": "N", "technology_area": "ai"}
    ),
    ("GET", "/groups/{slug}/manage"): page_row(STAFF, 200, lambda w, p: f"/groups/{w.group_slug}/manage"),
    ("POST", "/groups/{slug}/manage"): page_row(
        STAFF,
        303,
        lambda w, p: f"/groups/{w.group_slug}/manage",
        data={"name": "Matrix Group", "technology_area": "semiconductors", "charter": "", "status": "active"},
    ),
    ("POST", "/groups/{slug}/members"): page_row(
        STAFF,
        303,
        lambda w, p: f"/groups/{w.group_slug}/members",
        data=lambda w: {"user_id": str(w.fresh_member()), "role": "observer"},
    ),
    ("GET", "/groups/{slug}/members/{user_id}/remove"): page_row(
        STAFF, 200, lambda w, p: f"/groups/{w.group_slug}/members/{w.fresh_member()}/remove"
    ),
    ("POST", "/groups/{slug}/members/{user_id}/remove"): page_row(
        STAFF,
        303,
        lambda w, p: f"/groups/{w.group_slug}/members/{w.fresh_member()}/remove",
        data={"reason": "matrix"},
    ),
}
