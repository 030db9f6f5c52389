"""What the documents API takes and gives, and how a document becomes its JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.access.visibility import Visibility
from app.core.schemas import Out
from app.documents import redline, service
from app.documents.models import ControlCategory, Document, DocumentType, DocumentVersion, ExtractionStatus
from app.documents.queries import DocumentRow


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

    @classmethod
    def of(cls, document: Document | DocumentRow) -> DocumentSummary:
        return cls(**_summary_fields(document))


def _summary_fields(document: Document | DocumentRow) -> dict[str, Any]:
    return {
        "id": document.id,
        "group_id": document.group_id,
        "title": document.title,
        "owner_country": document.owner_country,
        "doc_type": document.doc_type,
        "visibility": document.visibility,
        "tags": list(document.tag_names),
        "marking": MarkingOut(
            controlled=document.controlled,
            category=document.control_category,
            control_code=document.control_code,
            release=list(document.release_countries),
        ),
        "version_count": document.version_count,
        "updated_at": document.updated_at,
        "withdrawn_at": document.withdrawn_at,
    }


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

    @classmethod
    def of(cls, version: DocumentVersion, content: bool) -> VersionOut:
        """Hashes and sizes are derived from the content: only readers of the content get them."""
        return cls(
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

    @classmethod
    def of_document(cls, document: Document, *, content: bool, screening: list[dict[str, Any]]) -> DocumentDetail:
        """`content`: whether the reader may read the content (and so its hashes and sizes)."""
        return cls(
            **_summary_fields(document),
            description=document.description,
            versions=[VersionOut.of(v, content) for v in document.versions],
            screening=[ScreeningOut.model_validate(match) for match in screening],
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

    def applied_to(self, document: Document) -> service.DocumentFields:
        """The document's details with the fields this patch sends; the others stay as they are."""
        return service.DocumentFields(
            title=self.title if self.title is not None else document.title,
            description=self.description if self.description is not None else document.description,
            owner_country=(
                service.parse_owner(self.owner_country, field="owner_country")
                if self.owner_country is not None
                else document.owner_country
            ),
            doc_type=self.doc_type or document.doc_type,
            visibility=self.visibility or document.visibility,
            tags=tuple(self.tags) if self.tags is not None else tuple(document.tag_names),
        )


class MarkingIn(BaseModel):
    controlled: bool
    category: ControlCategory | None = None
    control_code: str | None = Field(None, max_length=64)
    release: list[str] = Field(default_factory=list, max_length=4)

    def marking(self) -> service.Marking:
        return service.Marking(self.controlled, self.category, self.control_code, tuple(self.release))


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

    @classmethod
    def of(cls, old: int, new: int, result: redline.Redline) -> RedlineOut:
        return cls(
            from_version=old,
            to_version=new,
            added_words=result.added_words,
            removed_words=result.removed_words,
            changed_paragraphs=result.changed_paragraphs,
            blocks=[
                BlockOut(
                    kind=b.kind,
                    old=b.old,
                    new=b.new,
                    segments=[SegmentOut(kind=s.kind, text=s.text) for s in b.segments],
                )
                for b in result.blocks
            ],
        )


class ReasonIn(BaseModel):
    reason: str = Field("", max_length=2000, description="Why; kept on the audit trail")
