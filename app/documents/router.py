"""Document pages and `/api/v1/documents`: parse, call the service, render or return."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO

from fastapi import BackgroundTasks, Depends, File, Form, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.access.policy import ActivePrincipal, AnyPrincipal, CurrentPrincipal, QuadReader, SecretariatPrincipal
from app.access.principal import Principal
from app.access.visibility import Visibility
from app.core.errors import N_, DomainError, Forbidden, InvalidInput, NotFound, RefusalRecorded
from app.core.routing import api_router, page_router, writes_audit
from app.core.schemas import PageOut
from app.countries.service import QUAD_COUNTRY_CODES
from app.documents import extraction, formats, permissions, service
from app.documents.models import ControlCategory, Document, DocumentType, DocumentVersion, ExtractionStatus
from app.documents.schemas import (
    BlockOut,
    DocumentDetail,
    DocumentPatch,
    DocumentSummary,
    MarkingIn,
    MarkingOut,
    RedlineOut,
    ScreeningMatchOut,
    SegmentOut,
    VersionOut,
)
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.storage.base import Storage
from app.web.deps import MAX_ID, DbSession, ObjectId, Page
from app.web.openapi import problems
from app.web.templating import render

api = api_router(prefix="/api/v1/documents", tags=["documents"])
pages = page_router()

CHUNK = 256 * 1024
log = logging.getLogger("app.documents")
# Routes that yield content: the access is audited in the request's own transaction.
AUDITED_READ = [Depends(writes_audit)]


def readable_document(document_id: ObjectId, db: DbSession, principal: CurrentPrincipal) -> Document:
    """Loads the document in the path once; 404 when it does not exist or the caller may not read it."""
    return service.get_document(db, principal, document_id)


ReadableDocument = Annotated[Document, Depends(readable_document)]


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def _owner(value: str | None) -> str | None:
    """Form and API spell the secretariat as 'secretariat'; the model as no country."""
    if value is None or value == service.SECRETARIAT:
        return None
    if value not in QUAD_COUNTRY_CODES:
        raise InvalidInput(f"owner must be one of {', '.join(QUAD_COUNTRY_CODES)} or 'secretariat'")
    return value


def _tags(raw: str | None) -> tuple[str, ...]:
    return tuple(t for t in (raw or "").split(",") if t.strip())


def _named_group(db: DbSession, principal: Principal, slug: str) -> WorkingGroup:
    """A group named in a query or a form is input: an unknown one is invalid input (422), not a missing page."""
    try:
        return groups.readable_group(db, principal, slug=slug)
    except NotFound:
        raise InvalidInput(f"group: no working group {slug!r}") from None


def _upload(request: Request, upload: UploadFile, note: str) -> tuple[service.Upload, service.UploadLimits]:
    settings = request.app.state.settings
    limits = service.UploadLimits(
        settings.max_upload_bytes,
        settings.inline_extraction_kb * 1024,
        extraction.ExtractionLimits.from_settings(settings),
    )
    return service.Upload(source=upload.file, filename=upload.filename or "document", note=note), limits


def _schedule_extraction(request: Request, background: BackgroundTasks, version: DocumentVersion) -> None:
    # The job is committed with the upload; after the response (so after the commit) the worker starts on it.
    if version.text is not None and version.text.status is ExtractionStatus.queued:
        background.add_task(extraction.wake_worker, getattr(request.app.state, "extraction_worker", None))


def _summary(document: Document) -> DocumentSummary:
    return DocumentSummary(
        id=document.id,
        group_id=document.group_id,
        title=document.title,
        owner_country=document.owner_country,
        doc_type=document.doc_type,
        visibility=document.visibility,
        tags=document.tag_names,
        marking=MarkingOut(
            controlled=document.controlled,
            category=document.control_category,
            control_code=document.control_code,
            release=document.release_countries,
        ),
        version_count=document.version_count,
        updated_at=document.updated_at,
        withdrawn_at=document.withdrawn_at,
    )


def _version_out(version: DocumentVersion, content: bool) -> VersionOut:
    """Hashes and sizes are derived from the content: only readers of the content get them."""
    return VersionOut(
        number=version.number,
        filename=version.filename,
        content_type=version.content_type,
        size=version.size if content else None,
        sha256=version.sha256 if content else None,
        note=version.note,
        uploaded_by=version.uploaded_by,
        created_at=version.created_at,
        text_status=version.text.status if version.text else None,
    )


def _detail(document: Document, principal: Principal, db: DbSession) -> DocumentDetail:
    content = permissions.can_read_content(principal, document)
    return DocumentDetail(
        **_summary(document).model_dump(),
        description=document.description,
        versions=[_version_out(v, content) for v in document.versions],
        screening=service.screening_of(db, principal, document),
    )


def _filters(
    db: DbSession,
    principal: Principal,
    group: str | None,
    owner: str | None,
    doc_type: str | None,
    tag: str | None,
    controlled: bool | None,
    q: str | None,
    *,
    group_id: int | None = None,
) -> service.DocumentFilters:
    if group:
        group_id = _named_group(db, principal, group).id
    if owner and owner != service.SECRETARIAT and owner not in QUAD_COUNTRY_CODES:
        raise InvalidInput(N_("owner must be a country code or 'secretariat'"))
    try:
        kind = DocumentType(doc_type) if doc_type else None
    except ValueError:
        raise InvalidInput(f"unknown document type {doc_type!r}") from None
    return service.DocumentFilters(
        group_id=group_id, owner=owner or None, doc_type=kind, tag=tag or None, controlled=controlled, query=q or None
    )


# API -------------------------------------------------------------------------------------------------------


@api.get("", summary="Documents the caller may read, newest first, with filters")
def list_documents(
    db: DbSession,
    page: Page,
    principal: AnyPrincipal,
    group: Annotated[str | None, Query(description="working group slug")] = None,
    owner: Annotated[str | None, Query(description="country code or 'secretariat'")] = None,
    type: Annotated[str | None, Query(description="document type")] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    controlled: Annotated[bool | None, Query(description="only marked (true) or unmarked (false)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the title, description or file")] = None,
) -> PageOut[DocumentSummary]:
    filters = _filters(db, principal, group, owner, type, tag, controlled, q)
    found, total = service.list_documents(db, principal, filters, offset=page.offset, limit=page.size)
    return PageOut.of([_summary(d) for d in found], page, total)


@api.get(
    "/screening",
    summary="Unmarked documents whose text matches the export-control screening list (secretariat)",
    responses=problems(403),
)
def list_screening_matches(db: DbSession, page: Page, principal: SecretariatPrincipal) -> PageOut[ScreeningMatchOut]:
    rows, total = service.unmarked_screening_matches(db, principal, offset=page.offset, limit=page.size)
    return PageOut.of([ScreeningMatchOut.model_validate(row, from_attributes=True) for row in rows], page, total)


@api.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a new document (its first version)",
    responses=problems(413, 415),
)
def create_document(
    request: Request,
    background: BackgroundTasks,
    db: DbSession,
    principal: ActivePrincipal,
    file: Annotated[UploadFile, File(description="PDF, DOCX, PPTX, XLSX, Markdown or plain text")],
    group: Annotated[str, Form(description="working group slug")],
    title: Annotated[str, Form(max_length=200)],
    doc_type: Annotated[DocumentType, Form()],
    visibility: Annotated[Visibility, Form()],
    owner: Annotated[str, Form(description="country code or 'secretariat'")],
    description: Annotated[str, Form(max_length=20_000)] = "",
    tags: Annotated[str, Form(description="comma-separated")] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    controlled: Annotated[bool, Form(description="export-controlled: marked from the first byte")] = False,
    category: Annotated[ControlCategory | None, Form(description="the joint framework's category")] = None,
    control_code: Annotated[str, Form(max_length=64, description="such as an ECCN")] = "",
    release: Annotated[list[str] | None, Form(description="countries on the release list (repeat the field)")] = None,
) -> DocumentDetail:
    working_group = _named_group(db, principal, group)
    fields = service.DocumentFields(title, description, _owner(owner), doc_type, visibility, _tags(tags))
    marking = service.Marking(controlled, category, control_code, tuple(release or ()))
    document = _create(request, background, db, principal, working_group, fields, file, note, marking)
    return _detail(document, principal, db)


def _create(
    request: Request,
    background: BackgroundTasks,
    db: DbSession,
    principal: Principal,
    group: WorkingGroup,
    fields: service.DocumentFields,
    file: UploadFile,
    note: str,
    marking: service.Marking | None,
) -> Document:
    upload, limits = _upload(request, file, note)
    document = service.create_document(db, principal, _storage(request), group, fields, upload, limits, marking)
    _schedule_extraction(request, background, document.versions[-1])
    return document


def _add_version(
    request: Request,
    background: BackgroundTasks,
    db: DbSession,
    principal: Principal,
    document: Document,
    file: UploadFile,
    note: str,
) -> DocumentVersion:
    upload, limits = _upload(request, file, note)
    version = service.add_version(db, principal, _storage(request), document, upload, limits)
    _schedule_extraction(request, background, version)
    return version


@api.get("/{document_id}", summary="One document with its versions")
def get_document(document: ReadableDocument, db: DbSession, principal: AnyPrincipal) -> DocumentDetail:
    return _detail(document, principal, db)


@api.patch("/{document_id}", summary="Change a document's metadata (audited)")
def patch_document(
    body: DocumentPatch, document: ReadableDocument, db: DbSession, principal: ActivePrincipal
) -> DocumentDetail:
    fields = service.DocumentFields(
        title=body.title if body.title is not None else document.title,
        description=body.description if body.description is not None else document.description,
        owner_country=_owner(body.owner_country) if body.owner_country is not None else document.owner_country,
        doc_type=body.doc_type or document.doc_type,
        visibility=body.visibility or document.visibility,
        tags=tuple(body.tags) if body.tags is not None else tuple(document.tag_names),
    )
    return _detail(service.update_metadata(db, principal, document, fields), principal, db)


@api.put("/{document_id}/marking", summary="Set or clear the export-control marking (audited)")
def put_marking(
    body: MarkingIn, document: ReadableDocument, db: DbSession, principal: ActivePrincipal
) -> DocumentDetail:
    marking = service.Marking(body.controlled, body.category, body.control_code, tuple(body.release))
    return _detail(service.set_marking(db, principal, document, marking), principal, db)


@api.post("/{document_id}/withdraw", summary="Withdraw: hidden from lists, kept with its history")
def withdraw_document(document: ReadableDocument, db: DbSession, principal: ActivePrincipal) -> DocumentDetail:
    return _detail(service.withdraw(db, principal, document), principal, db)


@api.get("/{document_id}/versions", summary="Every version of a document, oldest first")
def list_versions(document: ReadableDocument, principal: AnyPrincipal) -> list[VersionOut]:
    content = permissions.can_read_content(principal, document)
    return [_version_out(v, content) for v in document.versions]


@api.post(
    "/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a new version",
    responses=problems(409, 413, 415),
)
def create_version(
    request: Request,
    background: BackgroundTasks,
    document: ReadableDocument,
    db: DbSession,
    principal: ActivePrincipal,
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> VersionOut:
    return _version_out(_add_version(request, background, db, principal, document, file, note), True)


DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},
    304: {"description": "Not modified"},
    **problems(403),
}


@api.head(
    "/{document_id}/versions/{number}/file",
    summary="A version's headers, without the file (the release rule applies; audited)",
    response_class=StreamingResponse,
    dependencies=AUDITED_READ,
    responses=DOWNLOAD_RESPONSES,
)
@api.get(
    "/{document_id}/versions/{number}/file",
    summary="Download a version (a marked file is served only stamped with the reader's account; audited)",
    response_class=StreamingResponse,
    dependencies=AUDITED_READ,
    responses=DOWNLOAD_RESPONSES,
)
def download_api(
    request: Request, number: ObjectId, document: ReadableDocument, db: DbSession, principal: AnyPrincipal
) -> Response:
    return _download(request, db, principal, document, number)


@api.get(
    "/{document_id}/compare",
    summary="Redline between two versions' text (content: the release rule applies; audited when marked)",
    dependencies=AUDITED_READ,
    responses=problems(403, 409),
)
def compare_api(
    document: ReadableDocument,
    db: DbSession,
    principal: AnyPrincipal,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    new: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
) -> RedlineOut:
    result = service.compare(db, principal, document, old, new)
    return RedlineOut(
        from_version=old,
        to_version=new,
        added_words=result.added_words,
        removed_words=result.removed_words,
        changed_paragraphs=result.changed_paragraphs,
        blocks=[
            BlockOut(
                kind=b.kind, old=b.old, new=b.new, segments=[SegmentOut(kind=s.kind, text=s.text) for s in b.segments]
            )
            for b in result.blocks
        ],
    )


def _download(request: Request, db: DbSession, principal: Principal, document: Document, number: int) -> Response:
    head = request.method == "HEAD"
    delivery = service.prepare_download(db, principal, _storage(request), document, number, head=head)
    headers = {"Content-Disposition": formats.content_disposition(delivery.filename)}
    if delivery.size is not None:
        headers["Content-Length"] = str(delivery.size)
    if delivery.etag is None:
        headers["Cache-Control"] = "no-store"  # marked files are never cached
    else:
        headers["ETag"] = delivery.etag
        headers["Cache-Control"] = "private, max-age=0, must-revalidate"
        if request.headers.get("if-none-match") == delivery.etag:
            if delivery.stream is not None:
                delivery.stream.close()
            headers.pop("Content-Length", None)
            return Response(status_code=304, headers=headers)
    if delivery.stream is None:
        return Response(status_code=200, media_type=delivery.content_type, headers=headers)
    return StreamingResponse(_chunks(delivery.stream), media_type=delivery.content_type, headers=headers)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


# Pages -----------------------------------------------------------------------------------------------------


def _form_context(principal: Principal, group: WorkingGroup) -> dict[str, object]:
    owners = [c for c in QUAD_COUNTRY_CODES if permissions.can_add_for(principal, group.id, c)]
    if principal.is_staff:
        owners.append(service.SECRETARIAT)
    return {
        "group": group,
        "owners": owners,
        "types": list(DocumentType),
        "visibilities": list(Visibility),
        "categories": list(ControlCategory),
        "countries": QUAD_COUNTRY_CODES,
    }


@pages.get("/groups/{slug}/documents", response_class=HTMLResponse)
def group_documents_page(
    request: Request,
    slug: str,
    db: DbSession,
    page: Page,
    principal: AnyPrincipal,
    owner: str | None = None,
    type: str | None = None,
    tag: str | None = None,
    marking: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    group = groups.readable_group(db, principal, slug=slug)
    controlled = {"controlled": True, "unmarked": False}.get(marking or "")
    filters = _filters(db, principal, None, owner, type, tag, controlled, q, group_id=group.id)
    found, total = service.list_documents(db, principal, filters, offset=page.offset, limit=page.size)
    owners = [c for c in QUAD_COUNTRY_CODES if permissions.can_add_for(principal, group.id, c)]
    return render(
        request,
        "documents/list.html",
        {
            "group": group,
            "documents": found,
            "total": total,
            "page": page,
            "filters": {
                "owner": owner or "",
                "type": type or "",
                "tag": tag or "",
                "marking": marking or "",
                "q": q or "",
            },
            "types": list(DocumentType),
            "countries": QUAD_COUNTRY_CODES,
            "can_upload": bool(owners) or principal.is_staff,
        },
    )


@pages.get("/groups/{slug}/documents/new", response_class=HTMLResponse)
def new_document_page(request: Request, slug: str, db: DbSession, principal: QuadReader) -> HTMLResponse:
    group = groups.readable_group(db, principal, slug=slug)
    return render(request, "documents/new.html", {**_form_context(principal, group), "error": None, "values": {}})


@pages.post("/groups/{slug}/documents/new", response_class=HTMLResponse)
def new_document(
    request: Request,
    background: BackgroundTasks,
    slug: str,
    db: DbSession,
    principal: QuadReader,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form()] = "",
    doc_type: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    controlled: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    control_code: Annotated[str, Form()] = "",
    release: Annotated[list[str] | None, Form()] = None,
) -> Response:
    group = groups.readable_group(db, principal, slug=slug)
    values = {
        "title": title,
        "doc_type": doc_type,
        "visibility": visibility,
        "owner": owner,
        "description": description,
        "tags": tags,
        "note": note,
        "controlled": controlled == "yes",
        "category": category,
        "control_code": control_code,
        "release": release or [],
    }
    try:
        fields = _fields_from_form(title, description, owner, doc_type, visibility, tags)
        marking = _marking_from_form(controlled, category, control_code, release)
        document = _create(request, background, db, principal, group, fields, file, note, marking)
    except DomainError as exc:
        context = {**_form_context(principal, group), "error": exc.detail, "values": values}
        return render(request, "documents/new.html", context, status_code=exc.status)
    return RedirectResponse(f"/documents/{document.id}", status_code=303)


def _fields_from_form(
    title: str, description: str, owner: str, doc_type: str, visibility: str, tags: str
) -> service.DocumentFields:
    """The upload and edit forms send the same fields as strings; choices are checked here."""
    return service.DocumentFields(
        title, description, _owner(owner or None), _doc_type(doc_type), _visibility(visibility), _tags(tags)
    )


def _marking_from_form(controlled: str, category: str, control_code: str, release: list[str] | None) -> service.Marking:
    """The marking fieldset of the upload and edit forms."""
    return service.Marking(
        controlled=controlled == "yes",
        category=ControlCategory(category) if category in {c.value for c in ControlCategory} else None,
        control_code=control_code,
        release=tuple(release or ()),
    )


def _doc_type(value: str) -> DocumentType:
    try:
        return DocumentType(value)
    except ValueError:
        raise InvalidInput(N_("choose a document type")) from None


def _visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidInput(N_("choose who may see the document")) from None


@pages.get("/admin/screening", response_class=HTMLResponse)
def screening_page(request: Request, db: DbSession, page: Page, principal: SecretariatPrincipal) -> HTMLResponse:
    rows, total = service.unmarked_screening_matches(db, principal, offset=page.offset, limit=page.size)
    return render(request, "admin/screening.html", {"rows": rows, "total": total, "page": page})


@pages.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document: ReadableDocument, db: DbSession, principal: AnyPrincipal) -> HTMLResponse:
    return render(request, "documents/detail.html", _document_context(db, principal, document))


def _document_context(db: DbSession, principal: Principal, document: Document, **extra: object) -> dict[str, object]:
    return {
        "screening": service.screening_of(db, principal, document),
        "document": document,
        "group": document.group,
        "can_edit": permissions.can_edit(principal, document) and document.withdrawn_at is None,
        "can_read_content": permissions.can_read_content(principal, document),
        "text_pending": any(v.text and v.text.status.waiting for v in document.versions),
        "error": None,
        **extra,
    }


@pages.post("/documents/{document_id}/versions", response_class=HTMLResponse)
def new_version(
    request: Request,
    background: BackgroundTasks,
    document: ReadableDocument,
    db: DbSession,
    principal: QuadReader,
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        _add_version(request, background, db, principal, document, file, note)
    except DomainError as exc:
        context = _document_context(db, principal, document, error=exc.detail)
        return render(request, "documents/detail.html", context, status_code=exc.status)
    return RedirectResponse(f"/documents/{document.id}", status_code=303)


@pages.get("/documents/{document_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, document: ReadableDocument, principal: QuadReader) -> HTMLResponse:
    if not permissions.can_edit(principal, document):
        raise Forbidden(N_("Only the owner's delegates in this group, or the secretariat, may edit this document."))
    context = _edit_context(principal, document, error=None)
    return render(request, "documents/edit.html", context)


def _edit_context(principal: Principal, document: Document, error: str | None) -> dict[str, object]:
    return {
        **_form_context(principal, document.group),
        "document": document,
        "can_change_marking": permissions.can_change_marking(principal, document),
        "error": error,
    }


@pages.post("/documents/{document_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    document: ReadableDocument,
    db: DbSession,
    principal: QuadReader,
    title: Annotated[str, Form()] = "",
    doc_type: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    controlled: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    control_code: Annotated[str, Form()] = "",
    release: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        fields = _fields_from_form(title, description, owner, doc_type, visibility, tags)
        service.update_metadata(db, principal, document, fields)
        service.set_marking(db, principal, document, _marking_from_form(controlled, category, control_code, release))
    except RefusalRecorded:
        raise  # an audited refusal goes to the request transaction, which records it after the rollback
    except DomainError as exc:
        db.rollback()
        context = _edit_context(principal, document, error=exc.detail)
        return render(request, "documents/edit.html", context, status_code=exc.status)
    return RedirectResponse(f"/documents/{document.id}", status_code=303)


@pages.post("/documents/{document_id}/withdraw")
def withdraw(document: ReadableDocument, db: DbSession, principal: QuadReader) -> RedirectResponse:
    service.withdraw(db, principal, document)
    return RedirectResponse(f"/documents/{document.id}", status_code=303)


@pages.head("/documents/{document_id}/versions/{number}/file", dependencies=AUDITED_READ)
@pages.get("/documents/{document_id}/versions/{number}/file", dependencies=AUDITED_READ)
def download_page(
    request: Request, number: ObjectId, document: ReadableDocument, db: DbSession, principal: AnyPrincipal
) -> Response:
    return _download(request, db, principal, document, number)


@pages.get("/documents/{document_id}/compare", response_class=HTMLResponse, dependencies=AUDITED_READ)
def compare_page(
    request: Request,
    document: ReadableDocument,
    db: DbSession,
    principal: AnyPrincipal,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    new: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
    view: str = "inline",
) -> HTMLResponse:
    from app.documents.redline import collapse

    result = service.compare(db, principal, document, old, new)
    return render(
        request,
        "documents/compare.html",
        {
            "document": document,
            "group": document.group,
            "old": old,
            "new": new,
            "view": "side" if view == "side" else "inline",
            "redline": result,
            "blocks": collapse(result),
        },
    )
