"""A document's content leaving the platform: downloads (a marked file only stamped with the reader's account)
and redlines between versions. Every door applies the release rule and audits a marked document's content."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO, cast

from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.core.capacity import Slots
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import N_, Conflict, Forbidden, NotFound, RefusalRecorded
from app.documents import formats, permissions, redline
from app.documents.events import DocumentEvent
from app.documents.models import Document, DocumentVersion, ExtractionStatus
from app.documents.permissions import DocumentAction
from app.documents.queries import version_of
from app.storage.base import FileMissing, Storage

log = logging.getLogger("app.documents")

CHUNK = 256 * 1024


class ContentPath(StrEnum):
    """The doors through which a document's content leaves, named on the audit trail."""

    download = "download"
    download_head = "download-head"
    compare = "compare"


STAMPING_BUSY = N_(
    "Export-controlled files are being stamped for other readers right now, so yours could not be prepared. "
    "Please try again in a moment."
)
# Seconds a refused reader is asked to wait: a 100-page PDF stamps in well under a second.
STAMPING_RETRY_AFTER = 2


def stamping_slots(settings: Settings) -> Slots:
    """The bound on marked files stamped at once in this worker process (one per app: app.state.stamp_slots)."""
    return Slots(
        settings.watermark_concurrency,
        settings.watermark_queue,
        settings.watermark_wait_seconds,
        refusal=STAMPING_BUSY,
        retry_after=STAMPING_RETRY_AFTER,
    )


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
    if not permissions.rules.allows(principal, DocumentAction.read_content, document):
        if audited:
            raise RefusalRecorded(
                CONTENT_REFUSED, actor_id=principal.user_id, action=DocumentEvent.content_refused, **event
            )
        raise Forbidden(permissions.rules.denied[DocumentAction.read_content])
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
    stamping: Slots,
    head: bool = False,
) -> Delivery:
    """Checks and audits the access, then opens the file. A marked file is served stamped with the reader's
    account, country and the time, or not at all: a file that cannot be stamped is refused and audited as such.
    Stamping takes one of `stamping`'s slots; when none comes free in time, Busy (503) and nothing is recorded as
    delivered (the access is audited only once the stamped copy exists)."""
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
    if not permissions.rules.allows(principal, DocumentAction.read_content, document):
        require_content(session, principal, document, [version], path)  # raises the audited refusal
    with stamping.hold():
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
    except BaseException as exc:
        stamped.close()  # a spool is an unnamed temporary file: closed, nothing of a partial copy is left
        if not isinstance(exc, watermark.StampFailed):
            raise
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
            raise Conflict(
                N_("the text of version %(number)d is not available yet, so it cannot be compared"),
                number=version.number,
            )
    assert old.text is not None and new.text is not None
    return redline.compare(old.text.content, new.text.content)
