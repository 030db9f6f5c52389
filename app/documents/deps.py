"""What document routes take from a request: the document or group in the path (loaded once: 404 when it does not
exist or may not be read), the list filters (one parser for the API and the pages), and the upload machinery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Form, Query, Request

from app.access.policy import AnyPrincipal, CurrentPrincipal, QuadReader, SecretariatPrincipal
from app.access.principal import Principal
from app.core.errors import N_, InvalidInput, NotFound
from app.documents import extraction, queries, service
from app.documents.models import Document, DocumentType, DocumentVersion, ExtractionStatus
from app.documents.permissions import DocumentAction, rules
from app.documents.queries import DocumentFilters
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.storage.base import Storage
from app.web.deps import DbSession, ObjectId
from app.web.forms import parse_choice

# Route gates: one per kind of action, the same on the API and the pages. The gate says who may try at all; the
# service decides for the document at hand (permissions.rules).
DocumentReader = AnyPrincipal  # lists, pages, files: visibility and the release rule decide
DocumentWriter = QuadReader  # create, versions, edit, mark, withdraw: government and staff (rules refuse observers)
Staff = SecretariatPrincipal  # reinstate, the screening list

# Documents and groups in the path ----------------------------------------------------------------------------------


def readable_document(document_id: ObjectId, db: DbSession, principal: CurrentPrincipal) -> Document:
    """The document in the path, once per request; 404 when it does not exist or the caller may not read it."""
    return queries.get_document(db, principal, document_id)


ReadableDocument = Annotated[Document, Depends(readable_document)]


class DocumentFor:
    """The path's document for a page that offers one action (its form or confirmation): 404 when it may not be
    read, 403 with the action's refusal when the caller may not take the action."""

    def __init__(self, action: DocumentAction) -> None:
        self.action = action

    def __call__(self, document: ReadableDocument, principal: CurrentPrincipal) -> Document:
        rules.require(principal, self.action, document)
        return document


EditableDocument = Annotated[Document, Depends(DocumentFor(DocumentAction.edit))]
WithdrawableDocument = Annotated[Document, Depends(DocumentFor(DocumentAction.withdraw))]
ReinstatableDocument = Annotated[Document, Depends(DocumentFor(DocumentAction.reinstate))]


def group_of_document(document: ReadableDocument) -> WorkingGroup:
    """Loaded with the document (the reader may read it: `can_read` checked the group too)."""
    return document.group


GroupOfDocument = Annotated[WorkingGroup, Depends(group_of_document)]


def page_group(slug: str, db: DbSession, principal: CurrentPrincipal) -> WorkingGroup:
    """The group whose documents a page shows: 404 when it does not exist or may not be read."""
    return groups.readable_group(db, principal, slug=slug)


PageGroup = Annotated[WorkingGroup, Depends(page_group)]


def named_group(db: DbSession, principal: Principal, slug: str, *, field: str = "group") -> WorkingGroup:
    """A group named in a query or a form is input: an unknown one is invalid input (422), not a missing page."""
    try:
        return groups.readable_group(db, principal, slug=slug)
    except NotFound:
        raise InvalidInput(N_("there is no working group “%(slug)s”"), slug=slug, field=field) from None


def form_group(
    db: DbSession, principal: CurrentPrincipal, group: Annotated[str, Form(description="working group slug")]
) -> WorkingGroup:
    return named_group(db, principal, group)


FormGroup = Annotated[WorkingGroup, Depends(form_group)]


# List filters ------------------------------------------------------------------------------------------------------


def parse_filters(
    *,
    group_id: int | None,
    owner: str | None,
    doc_type: str | None,
    tag: str | None,
    controlled: bool | None,
    q: str | None,
) -> DocumentFilters:
    """The one parser of list filters: API and pages spell the group and the marking differently, nothing else."""
    if owner:
        service.parse_owner(owner)
    kind = (
        parse_choice(DocumentType, doc_type, field="type", message=N_("choose a document type from the list"))
        if doc_type
        else None
    )
    return DocumentFilters(
        group_id=group_id, owner=owner or None, doc_type=kind, tag=tag or None, controlled=controlled, query=q or None
    )


def api_filters(
    db: DbSession,
    principal: CurrentPrincipal,
    group: Annotated[str | None, Query(description="working group slug")] = None,
    owner: Annotated[str | None, Query(description="country code or 'secretariat'")] = None,
    type: Annotated[str | None, Query(description="document type")] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    controlled: Annotated[bool | None, Query(description="only marked (true) or unmarked (false)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the title, description or file")] = None,
) -> DocumentFilters:
    group_id = named_group(db, principal, group).id if group else None
    return parse_filters(group_id=group_id, owner=owner, doc_type=type, tag=tag, controlled=controlled, q=q)


ApiFilters = Annotated[DocumentFilters, Depends(api_filters)]

# The list page's marking filter, as its select sends it.
MARKING_FILTER = {"controlled": True, "unmarked": False}


def page_filters(
    group: PageGroup,
    owner: Annotated[str | None, Query(max_length=20)] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    marking: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> DocumentFilters:
    controlled = MARKING_FILTER.get(marking or "")
    return parse_filters(group_id=group.id, owner=owner, doc_type=type, tag=tag, controlled=controlled, q=q)


PageFilters = Annotated[DocumentFilters, Depends(page_filters)]


# Uploads -----------------------------------------------------------------------------------------------------------


def storage(request: Request) -> Storage:
    found: Storage = request.app.state.storage
    return found


StorageDep = Annotated[Storage, Depends(storage)]


def upload_limits(request: Request) -> service.UploadLimits:
    settings = request.app.state.settings  # the running app's (tests start apps with settings of their own)
    return service.UploadLimits(
        settings.max_upload_bytes,
        settings.inline_extraction_kb * 1024,
        extraction.ExtractionLimits.from_settings(settings),
    )


UploadLimitsDep = Annotated[service.UploadLimits, Depends(upload_limits)]
WakeExtraction = Callable[[DocumentVersion], None]


def extraction_waker(request: Request, background: BackgroundTasks) -> WakeExtraction:
    """After an upload: a version whose text is queued wakes this instance's worker once the response is sent (so
    after the commit that made the job visible)."""

    def wake(version: DocumentVersion) -> None:
        if version.text is not None and version.text.status is ExtractionStatus.queued:
            background.add_task(extraction.wake_worker, getattr(request.app.state, "extraction_worker", None))

    return wake


ExtractionWake = Annotated[WakeExtraction, Depends(extraction_waker)]
