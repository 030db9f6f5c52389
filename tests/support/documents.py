"""Documents made through the real service and the app's real storage, for tests that need some."""

from __future__ import annotations

import io

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.visibility import Visibility
from app.auth import service as auth_service
from app.documents import service
from app.documents.models import ControlCategory, Document, DocumentType
from app.groups.models import WorkingGroup
from app.users.models import User


def make_document(
    db: Session,
    app: FastAPI,
    author: User,
    group: WorkingGroup,
    *,
    title: str = "Supply chain mapping",
    owner: str | None = "US",
    visibility: Visibility = Visibility.public,
    content: bytes = b"First paragraph.\n\nSecond paragraph.\n",
    filename: str = "note.txt",
    versions: tuple[bytes, ...] = (),
    controlled: bool = False,
    release: tuple[str, ...] = ("US",),
    tags: tuple[str, ...] = (),
) -> Document:
    principal = auth_service.principal_for(db, author)
    storage = app.state.storage
    fields = service.DocumentFields(title, "", owner, DocumentType.contribution, visibility, tags)
    limits = service.UploadLimits(max_bytes=10 * 1024 * 1024)
    document = service.create_document(
        db, principal, storage, group, fields, service.Upload(io.BytesIO(content), filename), limits
    )
    for later in versions:
        service.add_version(db, principal, storage, document, service.Upload(io.BytesIO(later), filename), limits)
    if controlled:
        marking = service.Marking(True, ControlCategory.semiconductors, "3E001", release)
        service.set_marking(db, principal, document, marking)
    db.commit()
    return document
