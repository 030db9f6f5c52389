from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.access.visibility import Visibility
from app.core.schemas import Out
from app.documents.models import ControlCategory, DocumentType, ExtractionStatus


class MarkingOut(BaseModel):
    controlled: bool
    category: ControlCategory | None
    control_code: str | None
    release: list[str]


class DocumentSummary(Out):
    id: int
    group_id: int
    title: str
    owner_country: str | None = Field(description="Owning country; null when the secretariat owns it")
    doc_type: DocumentType
    visibility: Visibility
    tags: list[str]
    marking: MarkingOut
    version_count: int
    updated_at: datetime
    withdrawn_at: datetime | None


class VersionOut(Out):
    number: int
    filename: str
    content_type: str
    size: int | None = Field(description="Bytes; null for readers who may not read a marked document's content")
    sha256: str | None = Field(description="SHA-256 of the file; null for readers who may not read the content")
    note: str
    uploaded_by: int | None
    created_at: datetime
    text_status: ExtractionStatus | None


class ScreeningTermOut(BaseModel):
    term: str
    count: int


class ScreeningOut(BaseModel):
    category: str
    label_en: str
    label_ja: str
    terms: list[ScreeningTermOut]


class DocumentDetail(DocumentSummary):
    description: str
    versions: list[VersionOut]
    screening: list[ScreeningOut] = Field(
        default_factory=list,
        description="Export-control screening terms found in the text of an unmarked document: mark it if it holds "
        "controlled technology (shown to readers of its content)",
    )


class ScreeningMatchOut(Out):
    document_id: int
    title: str
    group_id: int
    owner_country: str | None
    version: int
    matches: list[ScreeningOut]
    screened_at: datetime


class DocumentPatch(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    owner_country: str | None = Field(None, description="A country code, or 'secretariat'")
    doc_type: DocumentType | None = None
    visibility: Visibility | None = None
    tags: list[str] | None = Field(None, max_length=12)


class MarkingIn(BaseModel):
    controlled: bool
    category: ControlCategory | None = None
    control_code: str | None = Field(None, max_length=64)
    release: list[str] = Field(default_factory=list, max_length=4)


class SegmentOut(BaseModel):
    kind: str
    text: str


class BlockOut(BaseModel):
    kind: str
    old: str | None
    new: str | None
    segments: list[SegmentOut]


class RedlineOut(BaseModel):
    from_version: int
    to_version: int
    added_words: int
    removed_words: int
    changed_paragraphs: int
    blocks: list[BlockOut]
