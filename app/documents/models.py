from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access.principal import Principal
from app.access.visibility import InheritsVisibility, Protection, Visibility, VisibleContent
from app.core.db import Base, Timestamped, enum_column_type, utcnow
from app.core.errors import N_
from app.core.labels import LabelledEnum
from app.groups import permissions as group_permissions
from app.groups.models import WorkingGroup
from app.users.models import User


class DocumentType(LabelledEnum):
    contribution = "contribution"
    position_paper = "position_paper"
    technical_report = "technical_report"
    meeting_material = "meeting_material"
    other = "other"

    __labels__ = {
        "contribution": N_("Contribution"),
        "position_paper": N_("Position paper"),
        "technical_report": N_("Technical report"),
        "meeting_material": N_("Meeting material"),
        "other": N_("Other"),
    }


class ControlCategory(LabelledEnum):
    """The joint framework's categories of export-controlled technology."""

    semiconductors = "semiconductors"
    telecom_5g_6g = "5g-6g"
    biotechnology = "biotechnology"
    facial_recognition = "facial_recognition"
    surveillance_cameras = "surveillance_cameras"
    spyware = "spyware"
    location_tracking = "location_tracking"
    other = "other"

    __labels__ = {
        "semiconductors": N_("Semiconductors"),
        "5g-6g": N_("5G/6G telecommunications"),
        "biotechnology": N_("Biotechnology"),
        "facial_recognition": N_("Facial recognition"),
        "surveillance_cameras": N_("Surveillance cameras"),
        "spyware": N_("Spyware"),
        "location_tracking": N_("Location tracking"),
        "other": N_("Other controlled technology"),
    }


class ExtractionStatus(LabelledEnum):
    """The state of a version's text; queued and running mirror its extraction job (app.documents.extraction)."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"

    __labels__ = {"queued": N_("Queued"), "running": N_("In progress"), "done": N_("Extracted"), "failed": N_("Failed")}

    @property
    def waiting(self) -> bool:
        return self in (ExtractionStatus.queued, ExtractionStatus.running)


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Document(VisibleContent, Timestamped, Base):
    """A shared document's metadata; its files are the appended, immutable versions.

    Who may read the metadata is declared here (`readable_by`, `is_readable_by`); app.documents.permissions adds
    the release rule of marked content on top."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_group_listing", "group_id", "withdrawn_at", "updated_at"),)
    __protection__ = Protection(visibility="visibility", group="group_id", owner_country="owner_country")

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The description as sanitised HTML, rendered from the Markdown when saved (app.core.markdown).
    description_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    # None: owned by the secretariat rather than a country's delegation.
    owner_country: Mapped[str | None] = mapped_column(ForeignKey("country.code"), index=True)
    doc_type: Mapped[DocumentType] = mapped_column(enum_column_type(DocumentType))
    visibility: Mapped[Visibility] = mapped_column(enum_column_type(Visibility), index=True)
    controlled: Mapped[bool] = mapped_column(default=False, index=True)
    control_category: Mapped[ControlCategory | None] = mapped_column(enum_column_type(ControlCategory))
    control_code: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None]
    version_count: Mapped[int] = mapped_column(default=0)
    # When a marking was last removed: for a while after, content access stays audited as if it were marked.
    unmarked_at: Mapped[datetime | None]

    group: Mapped[WorkingGroup] = relationship()

    tags: Mapped[list[DocumentTag]] = relationship(cascade="all, delete-orphan", order_by="DocumentTag.tag")
    releases: Mapped[list[DocumentRelease]] = relationship(
        cascade="all, delete-orphan", order_by="DocumentRelease.country_code"
    )
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", cascade="all, delete-orphan"
    )

    @classmethod
    def requirements(cls, principal: Principal) -> Sequence[ColumnElement[bool]]:
        """Its working group must be readable too: an archived group's documents are hidden from all but staff."""
        return (cls.group_id.in_(select(WorkingGroup.id).where(group_permissions.readable_groups(principal))),)

    def meets_requirements(self, principal: Principal) -> bool:
        return group_permissions.can_read(principal, self.group)

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def release_countries(self) -> list[str]:
        return [r.country_code for r in self.releases]


class DocumentTag(Base):
    __tablename__ = "document_tag"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class DocumentRelease(Base):
    """A country on a controlled document's release list."""

    __tablename__ = "document_release"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)


class DocumentVersion(InheritsVisibility, Timestamped, Base):
    """One uploaded file. Appended, never changed: a new upload is a new version. Readable with its document."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    __protection_parent__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int]
    filename: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    document: Mapped[Document] = relationship(back_populates="versions")
    uploader: Mapped[User | None] = relationship()
    text: Mapped[VersionText | None] = relationship(uselist=False)


class VersionText(Base):
    """Text extracted from a version, for search and redlines; filled after the upload when the file is large.

    Written only by app.documents.extraction.record_result (and the job's state changes there)."""

    __tablename__ = "version_text"

    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[ExtractionStatus] = mapped_column(enum_column_type(ExtractionStatus))
    content: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreeningFinding(Base):
    """Export-control screening terms found in a version's extracted text (one row per version that matched)."""

    __tablename__ = "screening_finding"

    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    # [{"category": "semiconductors", "terms": [{"term": "EUV lithography", "count": 2}, ...]}, ...]
    matches: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    screened_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExtractionJob(Timestamped, Base):
    """Durable work: extract one version's text. Any instance may claim it; a lease that runs out (the instance
    died) lets another take it over. Recorded in the upload's own transaction, so no upload is ever left
    without either its text or a job that will produce it."""

    __tablename__ = "extraction_job"
    __table_args__ = (Index("ix_extraction_job_claim", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id", ondelete="CASCADE"), unique=True)
    state: Mapped[JobState] = mapped_column(enum_column_type(JobState))
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)  # retries wait here (backoff)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
