"""Documents: uploads and versions, metadata, export-control markings, downloads, redlines, text extraction."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app import text
from app.audit import service as audit
from app.auth.principal import Principal
from app.auth.visibility import Visibility
from app.countries.service import QUAD_COUNTRY_CODES
from app.db import paged, utcnow
from app.documents import extraction, formats, permissions, redline
from app.documents.models import (
    ControlCategory,
    Document,
    DocumentRelease,
    DocumentTag,
    DocumentType,
    DocumentVersion,
    ExtractionStatus,
    VersionText,
)
from app.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, RefusalRecorded, UnsupportedMediaType
from app.groups.models import WorkingGroup
from app.routing import on_rollback
from app.storage.base import StagedFile, Storage

log = logging.getLogger("app.documents")

TAG_PATTERN = re.compile(r"^[\w][\w .\-/+]{0,39}$")
MAX_TAGS = 12
SECRETARIAT = "secretariat"  # the owner filter's value for documents the secretariat owns


@dataclass(frozen=True)
class DocumentFilters:
    group_id: int | None = None
    owner: str | None = None  # a country code or "secretariat"
    doc_type: DocumentType | None = None
    tag: str | None = None
    controlled: bool | None = None
    query: str | None = None


@dataclass(frozen=True)
class DocumentFields:
    title: str
    description: str
    owner_country: str | None
    doc_type: DocumentType
    visibility: Visibility
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Marking:
    controlled: bool
    category: ControlCategory | None = None
    control_code: str | None = None
    release: tuple[str, ...] = ()


@dataclass(frozen=True)
class Upload:
    source: BinaryIO
    filename: str
    note: str = ""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    # Files up to this size have their text extracted during the upload; larger ones by a job.
    inline_extraction_bytes: int = 512 * 1024
    sandbox: extraction.ExtractionLimits = field(default_factory=extraction.ExtractionLimits)


def clean_tags(raw: Sequence[str]) -> tuple[str, ...]:
    tags = sorted({t.strip().lower() for t in raw if t.strip()})
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags")
    for tag in tags:
        if not TAG_PATTERN.fullmatch(tag):
            raise InvalidInput(f"tag {tag!r}: letters, digits, spaces and . - / + only, up to 40 characters")
    return tuple(tags)


def _validated(fields: DocumentFields) -> DocumentFields:
    title = text.one_line(fields.title, "a title", 200)
    description = text.paragraphs(fields.description, "the description", 20_000)
    if fields.owner_country is not None and fields.owner_country not in QUAD_COUNTRY_CODES:
        raise InvalidInput(f"owner must be one of {', '.join(QUAD_COUNTRY_CODES)} or the secretariat")
    if fields.visibility is Visibility.country and fields.owner_country is None:
        raise InvalidInput(N_("a secretariat document cannot be limited to one country; choose another visibility"))
    return DocumentFields(
        title=title,
        description=description,
        owner_country=fields.owner_country,
        doc_type=fields.doc_type,
        visibility=fields.visibility,
        tags=clean_tags(fields.tags),
    )


# Listing -----------------------------------------------------------------------------------------------------


def _filtered(principal: Principal, filters: DocumentFilters) -> Select[Document]:
    query = select(Document).where(permissions.readable_documents(principal), Document.withdrawn_at.is_(None))
    if filters.group_id is not None:
        query = query.where(Document.group_id == filters.group_id)
    if filters.owner == SECRETARIAT:
        query = query.where(Document.owner_country.is_(None))
    elif filters.owner:
        query = query.where(Document.owner_country == filters.owner)
    if filters.doc_type is not None:
        query = query.where(Document.doc_type == filters.doc_type)
    if filters.controlled is not None:
        query = query.where(Document.controlled.is_(filters.controlled))
    if filters.tag:
        query = query.where(
            Document.id.in_(select(DocumentTag.document_id).where(DocumentTag.tag == filters.tag.strip().lower()))
        )
    if filters.query:
        pattern = "%" + filters.query.strip().replace("%", r"\%").replace("_", r"\_") + "%"
        in_text = (
            select(DocumentVersion.document_id)
            .join(VersionText, VersionText.version_id == DocumentVersion.id)
            .where(VersionText.content.ilike(pattern, escape="\\"))
        )
        query = query.where(
            or_(
                Document.title.ilike(pattern, escape="\\"),
                Document.description.ilike(pattern, escape="\\"),
                Document.id.in_(in_text),
            )
        )
    return query


def list_documents(
    session: Session, principal: Principal, filters: DocumentFilters, *, offset: int = 0, limit: int = 20
) -> tuple[Sequence[Document], int]:
    return paged(
        session,
        _filtered(principal, filters),
        order_by=(Document.updated_at.desc(), Document.id.desc()),
        offset=offset,
        limit=limit,
        options=(selectinload(Document.tags), selectinload(Document.releases)),
    )


def get_document(session: Session, principal: Principal, document_id: int) -> Document:
    query = (
        select(Document)
        .where(Document.id == document_id)
        .options(
            selectinload(Document.tags),
            selectinload(Document.releases),
            selectinload(Document.versions).selectinload(DocumentVersion.uploader),
            # Only the extraction status: the text itself is read where it is needed (compare).
            selectinload(Document.versions).selectinload(DocumentVersion.text).defer(VersionText.content),
        )
    )
    document = session.scalar(query)
    if document is None or not permissions.can_read(principal, document):
        raise NotFound(N_("no such document"))
    return document


def version_of(document: Document, number: int) -> DocumentVersion:
    for version in document.versions:
        if version.number == number:
            return version
    raise NotFound(f"this document has no version {number}")


# Uploads -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedFile:
    staged: StagedFile
    kind: formats.FileKind
    filename: str


@contextmanager
def _received(storage: Storage, upload: Upload, max_bytes: int) -> Iterator[ReceivedFile]:
    """Streams the upload to a temporary file (size-limited), decides its type from the content, and
    removes the temporary file afterwards whatever happens."""
    staged = storage.stage(upload.source, max_bytes=max_bytes)
    try:
        try:
            kind = formats.sniff(staged.path, upload.filename)
        except formats.UnsupportedFileType as exc:
            raise UnsupportedMediaType(str(exc)) from exc
        yield ReceivedFile(staged=staged, kind=kind, filename=formats.safe_filename(upload.filename))
    finally:
        storage.discard(staged)


def _append_version(
    session: Session,
    storage: Storage,
    principal: Principal,
    document: Document,
    upload: Upload,
    limits: UploadLimits,
) -> DocumentVersion:
    text.paragraphs(upload.note, "the version note", 2000)
    with _received(storage, upload, limits.max_bytes) as received:
        return _store_version(session, storage, principal, document, received, upload.note, limits)


def _store_version(
    session: Session,
    storage: Storage,
    principal: Principal,
    document: Document,
    received: ReceivedFile,
    note: str,
    limits: UploadLimits,
) -> DocumentVersion:
    if storage.save(received.staged):
        key, maker = received.staged.sha256, sessionmaker(bind=session.get_bind())
        on_rollback(session, lambda: _delete_unless_referenced(maker, storage, key))
    document.version_count += 1
    document.updated_at = utcnow()
    version = DocumentVersion(
        document_id=document.id,
        number=document.version_count,
        filename=received.filename,
        kind=received.kind.value,
        content_type=received.kind.content_type,
        size=received.staged.size,
        sha256=received.staged.sha256,
        note=note.strip(),
        uploaded_by=principal.user_id,
    )
    session.add(version)
    session.flush()
    # Either the text now (sandboxed), or a job committed with the version: no upload is left without both.
    if received.staged.size <= limits.inline_extraction_bytes:
        extraction.extract_during_upload(session, version, received.staged.path, received.kind, limits.sandbox)
    else:
        extraction.enqueue(session, version)
    audit.record(
        session,
        principal.user_id,
        "document.version_add",
        "document",
        document.id,
        group_id=document.group_id,
        version=version.number,
        sha256=version.sha256,
        size=version.size,
    )
    return version


def create_document(
    session: Session,
    principal: Principal,
    storage: Storage,
    group: WorkingGroup,
    fields: DocumentFields,
    upload: Upload,
    limits: UploadLimits,
) -> Document:
    fields = _validated(fields)
    if not permissions.can_add_for(principal, group.id, fields.owner_country):
        raise Forbidden(N_("Delegates add documents for their own country, in working groups they belong to."))
    document = Document(
        group_id=group.id,
        title=fields.title,
        description=fields.description,
        owner_country=fields.owner_country,
        doc_type=fields.doc_type,
        visibility=fields.visibility,
        created_by=principal.user_id,
        tags=[DocumentTag(tag=t) for t in fields.tags],
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "document.create",
        "document",
        document.id,
        group_id=group.id,
        title=document.title,
        owner=document.owner_country or SECRETARIAT,
    )
    _append_version(session, storage, principal, document, upload, limits)
    return document


def add_version(
    session: Session,
    principal: Principal,
    storage: Storage,
    document: Document,
    upload: Upload,
    limits: UploadLimits,
) -> DocumentVersion:
    if not permissions.can_edit(principal, document):
        raise Forbidden(N_("Only the owner's delegates in this group, or the secretariat, may add versions."))
    if document.withdrawn_at is not None:
        raise Conflict(N_("this document was withdrawn; it takes no new versions"))
    # Concurrent uploads to one document queue on this row lock (PostgreSQL; SQLite serialises writers),
    # so version numbers stay in order and none is lost.
    session.refresh(document, with_for_update=True)
    return _append_version(session, storage, principal, document, upload, limits)


# Metadata, marking, withdrawal ---------------------------------------------------------------------------------


def update_metadata(session: Session, principal: Principal, document: Document, fields: DocumentFields) -> Document:
    if not permissions.can_edit(principal, document):
        raise Forbidden(N_("Only the owner's delegates in this group, or the secretariat, may edit this document."))
    fields = _validated(fields)
    if fields.owner_country != document.owner_country and not principal.is_staff:
        raise Forbidden(N_("Only the secretariat may give a document to another owner."))
    before = _metadata_snapshot(document)
    document.title = fields.title
    document.description = fields.description
    document.owner_country = fields.owner_country
    document.doc_type = fields.doc_type
    document.visibility = fields.visibility
    document.tags = [DocumentTag(tag=t) for t in fields.tags]
    document.updated_at = utcnow()
    after = _metadata_snapshot(document)
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if changed:
        audit.record(
            session,
            principal.user_id,
            "document.update",
            "document",
            document.id,
            group_id=document.group_id,
            changes=changed,
        )
    return document


def _metadata_snapshot(document: Document) -> dict[str, object]:
    return {
        "title": document.title,
        "description": document.description,
        "owner": document.owner_country or SECRETARIAT,
        "type": document.doc_type.value,
        "visibility": document.visibility.value,
        "tags": sorted(t.tag for t in document.tags),
    }


def set_marking(session: Session, principal: Principal, document: Document, marking: Marking) -> Document:
    if not permissions.can_edit(principal, document):
        raise Forbidden(N_("Only the owner's delegates or the secretariat may change the export-control marking."))
    release = tuple(sorted(set(marking.release)))
    if marking.controlled:
        if marking.category is None:
            raise InvalidInput(N_("a controlled document needs a category from the joint framework"))
        if not release:
            raise InvalidInput(N_("a controlled document needs at least one country on its release list"))
        if any(code not in QUAD_COUNTRY_CODES for code in release):
            raise InvalidInput(f"release list countries must be among {', '.join(QUAD_COUNTRY_CODES)}")
        code = text.one_line(marking.control_code or "", "the control code", 64, required=False)
    else:
        release, code = (), ""
    before = _marking_snapshot(document)
    wanted = {
        "controlled": marking.controlled,
        "category": marking.category.value if marking.controlled and marking.category else None,
        "code": code or None,
        "release": list(release),
    }
    if wanted == before:
        return document
    document.controlled = marking.controlled
    document.control_category = marking.category if marking.controlled else None
    document.control_code = code or None
    document.releases = [DocumentRelease(country_code=c) for c in release]
    document.updated_at = utcnow()
    audit.record(
        session,
        principal.user_id,
        "document.marking",
        "document",
        document.id,
        group_id=document.group_id,
        before=before,
        after=_marking_snapshot(document),
    )
    return document


def _marking_snapshot(document: Document) -> dict[str, object]:
    return {
        "controlled": document.controlled,
        "category": document.control_category.value if document.control_category else None,
        "code": document.control_code,
        "release": sorted(r.country_code for r in document.releases),
    }


def withdraw(session: Session, principal: Principal, document: Document) -> Document:
    if not permissions.can_edit(principal, document):
        raise Forbidden(N_("Only the owner's delegates or the secretariat may withdraw this document."))
    if document.withdrawn_at is None:
        document.withdrawn_at = utcnow()
        audit.record(
            session, principal.user_id, "document.withdraw", "document", document.id, group_id=document.group_id
        )
    return document


# Downloads ---------------------------------------------------------------------------------------------------


def authorize_download(principal: Principal, document: Document, version: DocumentVersion) -> dict[str, Any] | None:
    """Refuses what the caller may not download. For a marked file, returns the audit event to record
    before the file is served; refusals are recorded too (RefusalRecorded survives the rollback)."""
    allowed = permissions.may_download(principal, document)
    if not document.controlled:
        if not allowed:
            raise Forbidden(N_("You may not download this file."))
        return None
    event: dict[str, Any] = {
        "actor_id": principal.user_id,
        "target_type": "document",
        "target_id": document.id,
        "group_id": document.group_id,
        "version": version.number,
        "country": principal.country,
        "category": document.control_category.value if document.control_category else None,
    }
    if not allowed:
        raise RefusalRecorded(
            N_(
                "This file is export-controlled. Only delegates of the countries on its release list, and "
                "secretariat staff cleared for controlled documents, may download it."
            ),
            action="document.download_refused",
            **event,
        )
    return {"action": "document.download_controlled", **event}


def watermark_lines(principal: Principal, document: Document) -> list[str]:
    stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    who = f"{principal.display_name} ({principal.country or 'Secretariat'})"
    code = f" {document.control_code}" if document.control_code else ""
    return [f"Downloaded by {who} at {stamp}", f"EXPORT-CONTROLLED{code} - do not redistribute"]


# Redlines and text ------------------------------------------------------------------------------------------


def compare(document: Document, old_number: int, new_number: int) -> redline.Redline:
    old, new = version_of(document, old_number), version_of(document, new_number)
    for version in (old, new):
        if version.text is None or version.text.status is not ExtractionStatus.done:
            raise Conflict(f"the text of version {version.number} is not available yet, so it cannot be compared")
    assert old.text is not None and new.text is not None
    return redline.compare(old.text.content, new.text.content)


def _delete_unless_referenced(maker: sessionmaker[Session], storage: Storage, key: str) -> None:
    """After a failed upload: remove the file it stored, unless another upload committed the same content."""
    with maker() as session:
        if session.scalar(select(DocumentVersion.id).where(DocumentVersion.sha256 == key).limit(1)) is None:
            storage.delete(key)
