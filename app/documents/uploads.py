"""Receiving a file and appending it as a document's next version: staged within the size limit, its kind decided
from its bytes, stored content-addressed, its text extracted (or queued), and the upload audited."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access.principal import Principal
from app.audit import service as audit
from app.core import text
from app.core.db import on_rollback, utcnow
from app.core.errors import N_, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from app.documents import extraction, formats
from app.documents.events import DocumentEvent
from app.documents.models import Document, DocumentVersion
from app.storage.base import StagedFile, Storage

MIB = 1024 * 1024


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


def size_limit(max_bytes: int) -> str:
    """The upload limit as people read it ("25 MB"): the forms state it, and the refusal repeats it."""
    return f"{max_bytes / MIB:g} MB"


def too_large(max_bytes: int) -> PayloadTooLarge:
    """The refusal of a file over the limit, on the form's file field (also shown when the upload guard sends an
    oversized browser upload back to its form)."""
    return PayloadTooLarge(
        N_("The file is larger than the %(limit)s limit."), limit=size_limit(max_bytes), field="file"
    )


@dataclass(frozen=True)
class ReceivedFile:
    staged: StagedFile
    kind: formats.FileKind
    filename: str


@contextmanager
def _received(storage: Storage, upload: Upload, max_bytes: int) -> Iterator[ReceivedFile]:
    """Streams the upload to a temporary file (size-limited), decides its type from the content, and
    removes the temporary file afterwards whatever happens. Every refusal names the form's file field."""
    try:
        staged = storage.stage(upload.source, max_bytes=max_bytes)
    except PayloadTooLarge:
        raise too_large(max_bytes) from None
    except InvalidInput:
        raise InvalidInput(N_("The file is empty."), field="file") from None
    try:
        try:
            kind = formats.sniff(staged.path, upload.filename)
        except formats.UnsupportedFileType as exc:
            raise UnsupportedMediaType(exc.message, field="file", **exc.params) from exc
        yield ReceivedFile(staged=staged, kind=kind, filename=formats.safe_filename(upload.filename))
    finally:
        storage.discard(staged)


def append_version(
    session: Session,
    storage: Storage,
    principal: Principal,
    document: Document,
    upload: Upload,
    limits: UploadLimits,
) -> DocumentVersion:
    """The document's next version. The caller has checked that the principal may add it."""
    try:
        text.paragraphs(upload.note, N_("the version note"), 2000)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="note", **exc.params) from None
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


def _delete_unless_referenced(maker: sessionmaker[Session], storage: Storage, key: str) -> None:
    """After a failed upload: remove the file it stored, unless another upload committed the same content."""
    with maker() as session:
        if session.scalar(select(DocumentVersion.id).where(DocumentVersion.sha256 == key).limit(1)) is None:
            storage.delete(key)
