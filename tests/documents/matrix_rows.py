"""Who may call each documents route, and what a permitted call answers (merged into the access matrix)."""

from __future__ import annotations

from tests.support.matrix import (
    DOC,
    EVERYONE,
    QUAD_READERS,
    STAFF,
    TEXT_FILE,
    UPLOAD_FORM,
    US_EDITORS,
    Row,
    page_row,
)

ROWS: dict[tuple[str, str], Row] = {
    # Documents
    ("GET", DOC): Row(EVERYONE, 200, DOC),
    ("POST", DOC): Row(US_EDITORS, 201, DOC, data=lambda w: {**UPLOAD_FORM, "group": w.group_slug}, files=TEXT_FILE),
    ("GET", DOC + "/{document_id}"): Row(EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}"),
    ("PATCH", DOC + "/{document_id}"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}", json={"title": "Renamed"}
    ),
    ("PUT", DOC + "/{document_id}/marking"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}/marking", json={"controlled": False}
    ),
    ("POST", DOC + "/{document_id}/withdraw"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}/withdraw", json={}
    ),
    ("GET", DOC + "/{document_id}/versions"): Row(EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/versions"),
    ("POST", DOC + "/{document_id}/versions"): Row(
        US_EDITORS, 201, lambda w, p: f"{DOC}/{w.fresh_document()}/versions", files=TEXT_FILE
    ),
    ("GET", DOC + "/{document_id}/versions/{number}/file"): Row(
        EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/versions/1/file"
    ),
    ("HEAD", DOC + "/{document_id}/versions/{number}/file"): Row(
        EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/versions/1/file"
    ),
    ("GET", DOC + "/screening"): Row(STAFF, 200, DOC + "/screening"),
    ("GET", "/admin/screening"): page_row(STAFF, 200, "/admin/screening"),
    ("HEAD", "/documents/{document_id}/versions/{number}/file"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/versions/2/file"
    ),
    ("GET", DOC + "/{document_id}/compare"): Row(
        EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/compare?from=1&to=2"
    ),
    ("GET", "/groups/{slug}/documents"): page_row(EVERYONE, 200, lambda w, p: f"/groups/{w.group_slug}/documents"),
    ("GET", "/groups/{slug}/documents/new"): page_row(
        QUAD_READERS, 200, lambda w, p: f"/groups/{w.group_slug}/documents/new"
    ),
    ("POST", "/groups/{slug}/documents/new"): page_row(
        US_EDITORS, 303, lambda w, p: f"/groups/{w.group_slug}/documents/new", data=UPLOAD_FORM, files=TEXT_FILE
    ),
    ("GET", "/documents/{document_id}"): page_row(EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}"),
    ("POST", "/documents/{document_id}/versions"): page_row(
        US_EDITORS, 303, lambda w, p: f"/documents/{w.fresh_document()}/versions", files=TEXT_FILE
    ),
    ("GET", "/documents/{document_id}/edit"): page_row(
        US_EDITORS, 200, lambda w, p: f"/documents/{w.document_id}/edit"
    ),
    ("POST", "/documents/{document_id}/edit"): page_row(
        US_EDITORS,
        303,
        lambda w, p: f"/documents/{w.fresh_document()}/edit",
        data={**UPLOAD_FORM, "visibility": "public"},
    ),
    ("POST", "/documents/{document_id}/withdraw"): page_row(
        US_EDITORS, 303, lambda w, p: f"/documents/{w.fresh_document()}/withdraw"
    ),
    ("GET", "/documents/{document_id}/versions/{number}/file"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/versions/2/file"
    ),
    ("GET", "/documents/{document_id}/compare"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/compare?from=1&to=2"
    ),
}
