"""`/api/v1/documents`: JSON in, one service call, JSON out. Errors are problem+json (app.web.error_pages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Query, UploadFile, status
from fastapi.responses import StreamingResponse

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.core.routing import api_router
from app.core.schemas import PageOut
from app.documents import content, delivery, queries, service
from app.documents.deps import (
    ApiFilters,
    DocumentReader,
    DocumentWriter,
    ExtractionWake,
    FormGroup,
    ReadableDocument,
    Staff,
    StorageDep,
    UploadLimitsDep,
)
from app.documents.models import ControlCategory, Document, DocumentType
from app.documents.permissions import DocumentAction, rules
from app.documents.schemas import (
    DocumentDetail,
    DocumentPatch,
    DocumentSummary,
    MarkingIn,
    ReasonIn,
    RedlineOut,
    ScreeningMatchOut,
    VersionOut,
)
from app.web.deps import MAX_ID, DbSession, Page
from app.web.openapi import problems
from app.web.page_cache import cached_response

api = api_router(prefix="/api/v1/documents", tags=["documents"])

# Routes that yield content: the access is audited in the request's own transaction.
AUDITED_READ = delivery.AUDITED_READ
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},
    304: {"description": "Not modified"},
    **problems(403),
    503: {"description": "Too many marked files are being stamped right now; try again after Retry-After seconds"},
}
FromVersion = Annotated[int, Query(alias="from", ge=1, le=MAX_ID)]
ToVersion = Annotated[int, Query(alias="to", ge=1, le=MAX_ID)]


def _detail(db: DbSession, principal: Principal, document: Document) -> DocumentDetail:
    return DocumentDetail.of_document(
        document,
        content=rules.allows(principal, DocumentAction.read_content, document),
        screening=queries.screening_of(db, principal, document),
    )


@api.get("", name="documents.api.list", summary="Documents the caller may read, newest first, with filters")
@cached_response
def list_documents(
    db: DbSession, page: Page, filters: ApiFilters, principal: DocumentReader
) -> PageOut[DocumentSummary]:
    return PageOut.of(queries.list_documents(db, principal, filters, page), DocumentSummary.of)


@api.get(
    "/screening",
    name="documents.api.screening",
    summary="Unmarked documents whose text matches the export-control screening list (secretariat)",
    responses=problems(403),
)
def list_screening_matches(db: DbSession, page: Page, principal: Staff) -> PageOut[ScreeningMatchOut]:
    found = queries.screening_matches(db, principal, page)
    return PageOut.of(found, lambda row: ScreeningMatchOut.model_validate(row, from_attributes=True))


@api.post(
    "",
    name="documents.api.create",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a new document (its first version)",
    responses=problems(413, 415),
)
def create_document(
    db: DbSession,
    principal: DocumentWriter,
    storage: StorageDep,
    limits: UploadLimitsDep,
    wake: ExtractionWake,
    group: FormGroup,
    file: Annotated[UploadFile, File(description="PDF, DOCX, PPTX, XLSX, Markdown or plain text")],
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
    fields = service.DocumentFields(
        title, description, service.parse_owner(owner), doc_type, visibility, tuple(tags.split(","))
    )
    marking = service.Marking(controlled, category, control_code, tuple(release or ()))
    upload = service.Upload(file.file, file.filename or "document", note)
    document = service.create_document(db, principal, storage, group, fields, upload, limits, marking)
    wake(document.versions[-1])
    return _detail(db, principal, document)


@api.get("/{document_id}", name="documents.api.detail", summary="One document with its versions")
@cached_response
def get_document(document: ReadableDocument, db: DbSession, principal: DocumentReader) -> DocumentDetail:
    return _detail(db, principal, document)


@api.patch("/{document_id}", name="documents.api.edit", summary="Change a document's metadata (audited)")
def patch_document(
    body: DocumentPatch, document: ReadableDocument, db: DbSession, principal: DocumentWriter
) -> DocumentDetail:
    return _detail(db, principal, service.update_metadata(db, principal, document, body.applied_to(document)))


@api.put(
    "/{document_id}/marking", name="documents.api.mark", summary="Set or clear the export-control marking (audited)"
)
def put_marking(
    body: MarkingIn, document: ReadableDocument, db: DbSession, principal: DocumentWriter
) -> DocumentDetail:
    return _detail(db, principal, service.set_marking(db, principal, document, body.marking()))


@api.post(
    "/{document_id}/withdraw",
    name="documents.api.withdraw",
    summary="Withdraw: hidden from lists, kept with its history (the reason is audited)",
)
def withdraw_document(
    document: ReadableDocument, db: DbSession, principal: DocumentWriter, body: ReasonIn | None = None
) -> DocumentDetail:
    reason = body.reason if body is not None else ""
    return _detail(db, principal, service.withdraw(db, principal, document, reason))


@api.post(
    "/{document_id}/reinstate",
    name="documents.api.reinstate",
    summary="Reinstate a withdrawn document: back in the lists (secretariat; the reason is audited)",
    responses=problems(409),
)
def reinstate_document(
    document: ReadableDocument, db: DbSession, principal: Staff, body: ReasonIn | None = None
) -> DocumentDetail:
    reason = body.reason if body is not None else ""
    return _detail(db, principal, service.reinstate(db, principal, document, reason))


@api.get("/{document_id}/versions", name="documents.api.versions", summary="Every version of a document, oldest first")
def list_versions(document: ReadableDocument, principal: DocumentReader) -> list[VersionOut]:
    readable = rules.allows(principal, DocumentAction.read_content, document)
    return [VersionOut.of(v, readable) for v in document.versions]


@api.post(
    "/{document_id}/versions",
    name="documents.api.add_version",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a new version",
    responses=problems(409, 413, 415),
)
def create_version(
    document: ReadableDocument,
    db: DbSession,
    principal: DocumentWriter,
    storage: StorageDep,
    limits: UploadLimitsDep,
    wake: ExtractionWake,
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> VersionOut:
    upload = service.Upload(file.file, file.filename or "document", note)
    version = service.add_version(db, principal, storage, document, upload, limits)
    wake(version)
    return VersionOut.of(version, True)


api.head(
    "/{document_id}/versions/{number}/file",
    name="documents.api.download_head",
    summary="A version's headers, without the file (the release rule applies; audited)",
    response_class=StreamingResponse,
    dependencies=AUDITED_READ,
    responses=DOWNLOAD_RESPONSES,
)(delivery.download)
api.get(
    "/{document_id}/versions/{number}/file",
    name="documents.api.download",
    summary="Download a version (a marked file is served only stamped with the reader's account; audited)",
    response_class=StreamingResponse,
    dependencies=AUDITED_READ,
    responses=DOWNLOAD_RESPONSES,
)(delivery.download)


@api.get(
    "/{document_id}/compare",
    name="documents.api.compare",
    summary="Redline between two versions' text (content: the release rule applies; audited when marked)",
    dependencies=AUDITED_READ,
    responses=problems(403, 409),
)
def compare(
    document: ReadableDocument, db: DbSession, principal: DocumentReader, old: FromVersion, new: ToVersion
) -> RedlineOut:
    return RedlineOut.of(old, new, content.compare(db, principal, document, old, new))
