"""Who may call each documents route, and what a permitted call answers (merged into the access matrix)."""

from __future__ import annotations

from app.auth import service as auth_service
from app.documents import queries, service
from tests.support.matrix import (
    DOC,
    EVERYONE,
    QUAD_READERS,
    STAFF,
    TEXT_FILE,
    UPLOAD_FORM,
    US_EDITORS,
    Row,
    World,
    page_row,
)


def withdrawn_document(world: World) -> int:
    """A fresh document of the US delegation, withdrawn by its chair: what a reinstatement works on."""
    chair = auth_service.principal_for(world.db, world.users["us_delegate"])
    document = queries.get_document(world.db, chair, world.fresh_document())
    service.withdraw(world.db, chair, document, "matrix")
    world.db.commit()
    return document.id


ROWS: dict[tuple[str, str], Row] = {
    # Documents
    ("GET", DOC): Row(EVERYONE, 200, DOC),
    ("POST", DOC): Row(US_EDITORS, 201, DOC, data=lambda w: {**UPLOAD_FORM, "group": w.group_slug}, files=TEXT_FILE),
    ("GET", DOC + "/{document_id}"): Row(EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}"),
    ("PATCH", DOC + "/{document_id}"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}", json={"title": "Renamed"}
    ),
    ("PUT", DOC + "/{document_id}/marking"): Row(
        US_EDITORS,
        200,
        lambda w, p: f"{DOC}/{w.fresh_document()}/marking",
        json={"controlled": True, "category": "semiconductors", "control_code": "3E001", "release": ["US"]},
    ),
    ("POST", DOC + "/{document_id}/withdraw"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}/withdraw", json={}
    ),
    ("POST", DOC + "/{document_id}/reinstate"): Row(
        STAFF, 200, lambda w, p: f"{DOC}/{withdrawn_document(w)}/reinstate", json={"reason": "withdrawn by mistake"}
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
    ("GET", "/documents/{document_id}/withdraw"): page_row(
        US_EDITORS, 200, lambda w, p: f"/documents/{w.document_id}/withdraw"
    ),
    ("POST", "/documents/{document_id}/withdraw"): page_row(
        US_EDITORS, 303, lambda w, p: f"/documents/{w.fresh_document()}/withdraw", data={"reason": "superseded"}
    ),
    ("GET", "/documents/{document_id}/reinstate"): page_row(
        STAFF, 200, lambda w, p: f"/documents/{withdrawn_document(w)}/reinstate"
    ),
    ("POST", "/documents/{document_id}/reinstate"): page_row(
        STAFF, 303, lambda w, p: f"/documents/{withdrawn_document(w)}/reinstate"
    ),
    ("GET", "/documents/{document_id}/versions/{number}/file"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/versions/2/file"
    ),
    ("GET", "/documents/{document_id}/compare"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/compare?from=1&to=2"
    ),
}
