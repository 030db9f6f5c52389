"""Documents: uploads and versions, metadata, export-control markings, downloads, redlines, text extraction."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO, cast

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.audit import service as audit
from app.core import text
from app.core.db import on_rollback, paged, utcnow
from app.core.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, RefusalRecorded, UnsupportedMediaType
from app.countries.service import QUAD_COUNTRY_CODES
from app.documents import extraction, formats, permissions, redline
from app.documents.events import DocumentEvent
from app.documents.models import (
    ControlCategory,
    Document,
    DocumentRelease,
    DocumentTag,
    DocumentType,
    DocumentVersion,
    ExtractionStatus,
    ScreeningFinding,
    VersionText,
)
from app.groups.models import WorkingGroup
from app.storage.base import FileMissing, StagedFile, Storage

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
    title = text.one_line(fields.title, N_("a title"), 200)
    description = text.paragraphs(fields.description, N_("the description"), 20_000)
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
        # The text of a file is content: it is searched only in documents whose content the caller may read,
        # and the text subquery carries that filter itself, so it never reads the texts of other documents.
        in_text = (
            select(DocumentVersion.document_id)
            .join(VersionText, VersionText.version_id == DocumentVersion.id)
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(
                permissions.readable_documents(principal),
                permissions.content_readable_documents(principal),
                VersionText.content.ilike(pattern, escape="\\"),
            )
            .correlate(None)  # its own scan of the document table, not a subquery per listed row
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
            selectinload(Document.group),
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
    text.paragraphs(upload.note, N_("the version note"), 2000)
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
        DocumentEvent.version_add,
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
    marking: Marking | None = None,
) -> Document:
    """A new document and its first version. A marking given here is on the document before its first byte is
    stored, so a controlled file never exists unmarked, not even inside the transaction."""
    fields = _validated(fields)
    if not permissions.can_add_for(principal, group.id, fields.owner_country):
        raise Forbidden(N_("Delegates add documents for their own country, in working groups they belong to."))
    checked = _validated_marking(marking) if marking is not None else None
    document = Document(
        group_id=group.id,
        group=group,
        title=fields.title,
        description=fields.description,
        owner_country=fields.owner_country,
        doc_type=fields.doc_type,
        visibility=fields.visibility,
        created_by=principal.user_id,
        tags=[DocumentTag(tag=t) for t in fields.tags],
    )
    if checked is not None and checked.controlled:
        _apply_marking(document, checked)
    session.add(document)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        DocumentEvent.create,
        "document",
        document.id,
        group_id=group.id,
        title=document.title,
        owner=document.owner_country or SECRETARIAT,
        marking=_marking_snapshot(document),
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
            DocumentEvent.update,
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


def _validated_marking(marking: Marking) -> Marking:
    if not marking.controlled:
        return Marking(controlled=False)
    release = tuple(sorted(set(marking.release)))
    if marking.category is None:
        raise InvalidInput(N_("a controlled document needs a category from the joint framework"))
    if not release:
        raise InvalidInput(N_("a controlled document needs at least one country on its release list"))
    if any(code not in QUAD_COUNTRY_CODES for code in release):
        raise InvalidInput(f"release list countries must be among {', '.join(QUAD_COUNTRY_CODES)}")
    code = text.one_line(marking.control_code or "", N_("the control code"), 64, required=False)
    return Marking(True, marking.category, code or None, release)


def _apply_marking(document: Document, marking: Marking) -> None:
    document.controlled = marking.controlled
    document.control_category = marking.category
    document.control_code = marking.control_code
    document.releases = [DocumentRelease(country_code=c) for c in marking.release]


def set_marking(session: Session, principal: Principal, document: Document, marking: Marking) -> Document:
    if not permissions.can_edit(principal, document):
        raise Forbidden(N_("Only the owner's delegates or the secretariat may change the export-control marking."))
    wanted = _validated_marking(marking)
    before = _marking_snapshot(document)
    after = {
        "controlled": wanted.controlled,
        "category": wanted.category.value if wanted.category else None,
        "code": wanted.control_code,
        "release": list(wanted.release),
    }
    if after == before:
        return document
    if not permissions.can_change_marking(principal, document):
        raise RefusalRecorded(
            N_(
                "Changing or removing an existing export-control marking needs export clearance. Ask an "
                "administrator, or a cleared colleague, to make the change."
            ),
            actor_id=principal.user_id,
            action=DocumentEvent.marking_refused,
            target_type="document",
            target_id=document.id,
            group_id=document.group_id,
            before=before,
            wanted=after,
        )
    lifted = document.controlled and not wanted.controlled
    _apply_marking(document, wanted)
    if lifted:
        document.unmarked_at = utcnow()
    document.updated_at = utcnow()
    audit.record(
        session,
        principal.user_id,
        DocumentEvent.marking,
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
            session, principal.user_id, DocumentEvent.withdraw, "document", document.id, group_id=document.group_id
        )
    return document


# Content: files, text, redlines ----------------------------------------------------------------------------------


class ContentPath(StrEnum):
    """The doors through which a document's content leaves, named on the audit trail."""

    download = "download"
    download_head = "download-head"
    compare = "compare"


CONTENT_REFUSED = N_(
    "This document is export-controlled. Its files and text are released only to delegates of the countries on "
    "its release list, and to secretariat staff cleared for controlled documents."
)


def require_content(
    session: Session,
    principal: Principal,
    document: Document,
    versions: Sequence[DocumentVersion],
    path: ContentPath,
) -> None:
    """The release rule, for every path that yields content. A marked document's content access (and, for a while,
    a recently unmarked one's) is audited whether it is allowed or refused; a refusal survives the rollback."""
    audited = permissions.content_access_audited(document)
    event: dict[str, Any] = {
        "target_type": "document",
        "target_id": document.id,
        "group_id": document.group_id,
        "versions": [v.number for v in versions],
        "path": path.value,
        "country": principal.country,
        "controlled": document.controlled,
        "category": document.control_category.value if document.control_category else None,
    }
    if not permissions.can_read_content(principal, document):
        if audited:
            raise RefusalRecorded(
                CONTENT_REFUSED, actor_id=principal.user_id, action=DocumentEvent.content_refused, **event
            )
        raise Forbidden(N_("You may not read the content of this document."))
    if audited:
        audit.record(session, principal.user_id, DocumentEvent.content_read, **event)


@dataclass
class Delivery:
    """A file ready to send: the stored original, or a stamped copy of a marked one. `stream` is None for HEAD."""

    filename: str
    content_type: str
    stream: BinaryIO | None
    size: int | None
    etag: str | None  # only for files that may be cached (never a marked one)
    controlled: bool


def prepare_download(
    session: Session,
    principal: Principal,
    storage: Storage,
    document: Document,
    number: int,
    *,
    head: bool = False,
) -> Delivery:
    """Checks and audits the access, then opens the file. A marked file is served stamped with the reader's
    account, country and the time, or not at all: a file that cannot be stamped is refused and audited as such."""
    version = version_of(document, number)
    path = ContentPath.download_head if head else ContentPath.download
    if not document.controlled:
        require_content(session, principal, document, [version], path)
        return Delivery(
            filename=version.filename,
            content_type=version.content_type,
            stream=None if head else _open_stored(storage, version),
            size=version.size,
            etag=f'"{version.sha256}"',
            controlled=False,
        )
    if head:
        require_content(session, principal, document, [version], path)
        return Delivery(version.filename, version.content_type, None, None, None, controlled=True)
    if not permissions.can_read_content(principal, document):
        require_content(session, principal, document, [version], path)  # raises the audited refusal
    stamped = _stamped_copy(principal, storage, document, version)
    require_content(session, principal, document, [version], path)
    size = stamped.seek(0, 2)
    stamped.seek(0)
    return Delivery(version.filename, version.content_type, stamped, size, None, controlled=True)


def _stamped_copy(principal: Principal, storage: Storage, document: Document, version: DocumentVersion) -> BinaryIO:
    from app.documents import watermark  # late: pypdf, reportlab and the Office libraries are large to load

    stamped = _spooled()
    try:
        # Stamping seeks, and an object-store stream does not: copy the original to a local spool first.
        with _open_stored(storage, version) as stream, _spooled() as original:
            shutil.copyfileobj(stream, original, CHUNK)
            original.seek(0)
            watermark.stamp(formats.FileKind(version.kind), original, watermark_lines(principal, document), stamped)
    except watermark.StampFailed as exc:
        stamped.close()
        raise RefusalRecorded(
            N_(
                "This export-controlled file cannot be stamped with your name, so it is not served. The "
                "secretariat has been told; ask the owner to upload an undamaged version."
            ),
            actor_id=principal.user_id,
            action=DocumentEvent.content_refused,
            target_type="document",
            target_id=document.id,
            group_id=document.group_id,
            versions=[version.number],
            path=ContentPath.download.value,
            country=principal.country,
            reason=f"stamp failed: {exc.reason}"[:300],
        ) from exc
    return stamped


def watermark_lines(principal: Principal, document: Document) -> list[str]:
    """The stamp on a marked file: the account (email, or id when there is none), country and UTC time."""
    stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    account = principal.email or f"user {principal.user_id}"
    who = f"{principal.display_name} <{account}>" if principal.display_name else account
    country = principal.country or "Secretariat"
    code = f" {document.control_code}" if document.control_code else ""
    return [f"Downloaded by {who}, {country}, at {stamp}", f"EXPORT-CONTROLLED{code} - do not redistribute"]


CHUNK = 256 * 1024


def _spooled() -> BinaryIO:
    return cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024))


def _open_stored(storage: Storage, version: DocumentVersion) -> BinaryIO:
    try:
        return storage.open(version.sha256)
    except FileMissing:
        log.error("stored file %s of document version %s is missing", version.sha256, version.id)
        raise NotFound(N_("The file of this version is missing from storage; the operators have been told.")) from None


def compare(
    session: Session, principal: Principal, document: Document, old_number: int, new_number: int
) -> redline.Redline:
    old, new = version_of(document, old_number), version_of(document, new_number)
    require_content(session, principal, document, [old, new], ContentPath.compare)
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


# Export-control screening ----------------------------------------------------------------------------------------


def screening_of(session: Session, principal: Principal, document: Document) -> list[dict[str, Any]]:
    """The screening terms found in an unmarked document's newest version with findings: a warning for those who
    may read its content (the terms come from the text). A marked document needs no warning."""
    if document.controlled or not permissions.can_read_content(principal, document):
        return []
    query = (
        select(ScreeningFinding.matches)
        .join(DocumentVersion, DocumentVersion.id == ScreeningFinding.version_id)
        .where(ScreeningFinding.document_id == document.id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )
    return list(session.scalar(query) or [])


@dataclass(frozen=True)
class ScreeningRow:
    document_id: int
    title: str
    group_id: int
    owner_country: str | None
    version: int
    matches: list[dict[str, Any]]
    screened_at: datetime


def unmarked_screening_matches(
    session: Session, principal: Principal, *, offset: int = 0, limit: int = 50
) -> tuple[list[ScreeningRow], int]:
    """For the secretariat: unmarked documents whose text matched the screening list, newest finding first."""
    if not permissions.can_see_screening(principal):
        raise Forbidden(N_("Only the secretariat sees the screening list's findings."))
    query = (
        select(
            Document.id,
            Document.title,
            Document.group_id,
            Document.owner_country,
            DocumentVersion.number,
            ScreeningFinding.matches,
            ScreeningFinding.screened_at,
        )
        .join(ScreeningFinding, ScreeningFinding.document_id == Document.id)
        .join(DocumentVersion, DocumentVersion.id == ScreeningFinding.version_id)
        .where(Document.controlled.is_(False), Document.withdrawn_at.is_(None))
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest_first = (ScreeningFinding.screened_at.desc(), ScreeningFinding.version_id.desc())
    rows = session.execute(query.order_by(*newest_first).offset(offset).limit(limit))
    return [ScreeningRow(*row) for row in rows], total
