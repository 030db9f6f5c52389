"""Document pages: the group's list, a document, its forms (new, edit, new version), the withdraw and reinstate
confirmations, downloads, redlines and the secretariat's screening list. Each handler parses, calls one service
function, and renders or redirects (POST/redirect/GET with a success banner)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.core.errors import N_
from app.core.routing import page_router
from app.countries.service import QUAD_COUNTRY_CODES
from app.documents import content, delivery, permissions, queries, redline, service
from app.documents.deps import (
    DocumentReader,
    DocumentWriter,
    EditableDocument,
    ExtractionWake,
    PageFilters,
    PageGroup,
    ReadableDocument,
    ReinstatableDocument,
    Staff,
    StorageDep,
    UploadLimitsDep,
    WithdrawableDocument,
)
from app.documents.forms import DocumentForm, chosen_file
from app.documents.models import ControlCategory, Document, DocumentType
from app.documents.uploads import size_limit, too_large
from app.groups.models import WorkingGroup
from app.web.deps import MAX_ID, DbSession, FormReason, Page
from app.web.forms import NO_ERRORS, FormErrors, FormReader, form_page
from app.web.page_cache import cached_response
from app.web.templating import flash, render
from app.web.uploads_guard import TOO_LARGE
from app.web.urls import see_other

pages = page_router()

AUDITED_READ = delivery.AUDITED_READ
PostedForm = Annotated[DocumentForm, Depends(DocumentForm.posted)]
OptionalFile = Annotated[UploadFile | None, File()]
# Lengths are checked by the service, so a long value is a message beside its field (not FastAPI's 422 page).
Note = Annotated[str, Form()]


def _upload_limit(request: Request) -> str:
    return size_limit(request.app.state.settings.max_upload_bytes)


def _marker_errors(request: Request) -> FormErrors:
    """The upload guard sends an oversized browser upload back to its form with `?error=too_large`."""
    if request.query_params.get("error") != TOO_LARGE:
        return NO_ERRORS
    return FormErrors.of(request, too_large(request.app.state.settings.max_upload_bytes))


def _choices(request: Request, principal: Principal, group: WorkingGroup) -> dict[str, Any]:
    """The choices of the document forms; owners are those the principal may file documents for."""
    owners = permissions.owners_for(principal, group.id, [*QUAD_COUNTRY_CODES, None])
    return {
        "group": group,
        "owners": [owner or queries.SECRETARIAT for owner in owners],
        "types": list(DocumentType),
        "visibilities": list(Visibility),
        "categories": list(ControlCategory),
        "countries": QUAD_COUNTRY_CODES,
        "upload_limit": _upload_limit(request),
    }


# The group's documents -----------------------------------------------------------------------------------------


@pages.get("/groups/{slug}/documents", response_class=HTMLResponse, name="documents.list")
@cached_response
def group_documents_page(
    request: Request, group: PageGroup, filters: PageFilters, db: DbSession, page: Page, principal: DocumentReader
) -> HTMLResponse:
    found = queries.list_documents(db, principal, filters, page)
    may_file = permissions.owners_for(principal, group.id, [*QUAD_COUNTRY_CODES, None])
    context = {
        "group": group,
        "documents": found,
        "types": list(DocumentType),
        "countries": QUAD_COUNTRY_CODES,
        "can_upload": bool(may_file),
    }
    return render(request, "documents/list.html", context)


@pages.get("/groups/{slug}/documents/new", response_class=HTMLResponse, name="documents.new_form")
def new_document_page(request: Request, group: PageGroup, principal: DocumentWriter) -> HTMLResponse:
    context = {**_choices(request, principal, group), "errors": _marker_errors(request), "values": {}}
    return render(request, "documents/new.html", context)


@pages.post("/groups/{slug}/documents/new", response_class=HTMLResponse, name="documents.create")
def new_document(
    request: Request,
    group: PageGroup,
    db: DbSession,
    principal: DocumentWriter,
    storage: StorageDep,
    limits: UploadLimitsDep,
    wake: ExtractionWake,
    form: PostedForm,
    file: OptionalFile = None,
    note: Note = "",
) -> Response:
    def create() -> Response:
        reader = FormReader(order=UPLOAD_FORM_ORDER)
        chosen = reader.read(lambda: chosen_file(file), None)
        fields, marking = form.parsed(reader)
        assert chosen is not None  # parsed() raised every error found, the missing file among them
        upload = service.Upload(chosen.file, chosen.filename or "document", note)
        document = service.create_document(db, principal, storage, group, fields, upload, limits, marking)
        wake(document.versions[-1])
        flash(request, N_("The document “%(title)s” was added."), title=document.title)
        return see_other(request, "documents.detail", document_id=document.id)

    values = {**form.values(), "note": note}
    return form_page(request, "documents/new.html", lambda: _choices(request, principal, group), create, values=values)


# The new-document form's fields, top to bottom (templates/documents/_fields.html, then the file and the marking).
UPLOAD_FORM_ORDER = (
    "title",
    "description",
    "owner",
    "doc_type",
    "visibility",
    "tags",
    "file",
    "note",
    "category",
    "control_code",
    "release",
)


# One document ----------------------------------------------------------------------------------------------------


def _document_context(request: Request, db: DbSession, principal: Principal, document: Document) -> dict[str, Any]:
    return {
        "screening": queries.screening_of(db, principal, document),
        "document": document,
        "group": document.group,
        "can": permissions.rules.allowed(principal, document),
        "text_pending": any(v.text and v.text.status.waiting for v in document.versions),
        "upload_limit": _upload_limit(request),
    }


@pages.get("/documents/{document_id}", response_class=HTMLResponse, name="documents.detail")
@cached_response
def document_page(
    request: Request, document: ReadableDocument, db: DbSession, principal: DocumentReader
) -> HTMLResponse:
    context = {**_document_context(request, db, principal, document), "errors": _marker_errors(request), "values": {}}
    return render(request, "documents/detail.html", context)


@pages.post("/documents/{document_id}/versions", response_class=HTMLResponse, name="documents.add_version")
def new_version(
    request: Request,
    document: ReadableDocument,
    db: DbSession,
    principal: DocumentWriter,
    storage: StorageDep,
    limits: UploadLimitsDep,
    wake: ExtractionWake,
    file: OptionalFile = None,
    note: Note = "",
) -> Response:
    def upload() -> Response:
        chosen = chosen_file(file)
        version = service.add_version(
            db, principal, storage, document, service.Upload(chosen.file, chosen.filename or "document", note), limits
        )
        wake(version)
        flash(request, N_("Version %(number)d was uploaded."), number=version.number)
        return see_other(request, "documents.detail", document_id=document.id)

    def context() -> Mapping[str, Any]:
        return _document_context(request, db, principal, queries.get_document(db, principal, document.id))

    return form_page(request, "documents/detail.html", context, upload, values={"note": note})


@pages.get("/documents/{document_id}/edit", response_class=HTMLResponse, name="documents.edit_form")
def edit_page(request: Request, document: EditableDocument, principal: DocumentWriter) -> HTMLResponse:
    context = {**_edit_context(request, principal, document), "errors": NO_ERRORS, "values": {}}
    return render(request, "documents/edit.html", context)


def _edit_context(request: Request, principal: Principal, document: Document) -> dict[str, Any]:
    return {
        **_choices(request, principal, document.group),
        "document": document,
        "can": permissions.rules.allowed(principal, document),
        "form": DocumentForm.of(document).values(),
    }


@pages.post("/documents/{document_id}/edit", response_class=HTMLResponse, name="documents.edit")
def edit(
    request: Request, document: ReadableDocument, db: DbSession, principal: DocumentWriter, form: PostedForm
) -> Response:
    def save() -> Response:
        fields, marking = form.parsed()
        service.edit_document(db, principal, document, fields, marking)
        flash(request, N_("The changes were saved."))
        return see_other(request, "documents.detail", document_id=document.id)

    def context() -> Mapping[str, Any]:
        return _edit_context(request, principal, queries.get_document(db, principal, document.id))

    return form_page(request, "documents/edit.html", context, save, values=form.values())


# Withdraw and reinstate: a confirmation page, then the change ------------------------------------------------------


@pages.get("/documents/{document_id}/withdraw", response_class=HTMLResponse, name="documents.withdraw_form")
def withdraw_page(request: Request, document: WithdrawableDocument, principal: DocumentWriter) -> HTMLResponse:
    context = {"document": document, "group": document.group, "errors": NO_ERRORS, "values": {}}
    return render(request, "documents/withdraw.html", context)


@pages.post("/documents/{document_id}/withdraw", response_class=HTMLResponse, name="documents.withdraw")
def withdraw(
    request: Request, document: ReadableDocument, db: DbSession, principal: DocumentWriter, reason: FormReason = ""
) -> Response:
    def confirm() -> Response:
        service.withdraw(db, principal, document, reason)
        flash(request, N_("The document “%(title)s” was withdrawn."), title=document.title)
        return see_other(request, "documents.detail", document_id=document.id)

    def context() -> Mapping[str, Any]:
        fresh = queries.get_document(db, principal, document.id)
        return {"document": fresh, "group": fresh.group}

    return form_page(request, "documents/withdraw.html", context, confirm, values={"reason": reason})


@pages.get("/documents/{document_id}/reinstate", response_class=HTMLResponse, name="documents.reinstate_form")
def reinstate_page(request: Request, document: ReinstatableDocument, principal: Staff) -> HTMLResponse:
    context = {"document": document, "group": document.group, "errors": NO_ERRORS, "values": {}}
    return render(request, "documents/reinstate.html", context)


@pages.post("/documents/{document_id}/reinstate", response_class=HTMLResponse, name="documents.reinstate")
def reinstate(
    request: Request, document: ReadableDocument, db: DbSession, principal: Staff, reason: FormReason = ""
) -> Response:
    def confirm() -> Response:
        service.reinstate(db, principal, document, reason)
        flash(request, N_("The document “%(title)s” was reinstated."), title=document.title)
        return see_other(request, "documents.detail", document_id=document.id)

    def context() -> Mapping[str, Any]:
        fresh = queries.get_document(db, principal, document.id)
        return {"document": fresh, "group": fresh.group}

    return form_page(request, "documents/reinstate.html", context, confirm, values={"reason": reason})


# Content ---------------------------------------------------------------------------------------------------------


pages.head(
    "/documents/{document_id}/versions/{number}/file", dependencies=AUDITED_READ, name="documents.download_head"
)(delivery.download)
pages.get("/documents/{document_id}/versions/{number}/file", dependencies=AUDITED_READ, name="documents.download")(
    delivery.download
)


@pages.get(
    "/documents/{document_id}/compare", response_class=HTMLResponse, dependencies=AUDITED_READ, name="documents.compare"
)
def compare_page(
    request: Request,
    document: ReadableDocument,
    db: DbSession,
    principal: DocumentReader,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    new: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
    view: Annotated[str, Query(max_length=10)] = "inline",
) -> HTMLResponse:
    result = content.compare(db, principal, document, old, new)
    context = {
        "document": document,
        "group": document.group,
        "old": old,
        "new": new,
        "view": "side" if view == "side" else "inline",
        "redline": result,
        "blocks": redline.collapse(result),
    }
    return render(request, "documents/compare.html", context)


@pages.get("/admin/screening", response_class=HTMLResponse, name="documents.screening")
def screening_page(request: Request, db: DbSession, page: Page, principal: Staff) -> HTMLResponse:
    found = queries.screening_matches(db, principal, page)
    return render(request, "documents/screening.html", {"found": found})
