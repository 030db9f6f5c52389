"""Reading documents: the filtered list and its text search, one document with its versions, and the export-control
screening findings (one document's warning, and the secretariat's list across groups)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.core.errors import N_, Forbidden, NotFound
from app.core.pagination import PageRequest, Paginated, limited, page_of, paginate
from app.core.sql import json_array_agg
from app.documents import permissions, search
from app.documents.models import (
    ControlCategory,
    Document,
    DocumentRelease,
    DocumentTag,
    DocumentType,
    DocumentVersion,
    ScreeningFinding,
    VersionText,
)
from app.documents.permissions import DocumentAction

SECRETARIAT = "secretariat"  # how forms, filters and the API spell the owner "the secretariat" (no country)


@dataclass(frozen=True)
class DocumentFilters:
    group_id: int | None = None
    owner: str | None = None  # a country code or SECRETARIAT
    doc_type: DocumentType | None = None
    tag: str | None = None
    controlled: bool | None = None
    query: str | None = None


@dataclass(frozen=True)
class DocumentRow:
    """A document as lists show it: its metadata, tags and release list; not its description, not its versions."""

    id: int
    group_id: int
    title: str
    owner_country: str | None
    doc_type: DocumentType
    visibility: Visibility
    controlled: bool
    control_category: ControlCategory | None
    control_code: str | None
    version_count: int
    updated_at: datetime
    withdrawn_at: datetime | None
    tag_names: tuple[str, ...]
    release_countries: tuple[str, ...]


_LISTED_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    Document.id,
    Document.group_id,
    Document.title,
    Document.owner_country,
    Document.doc_type,
    Document.visibility,
    Document.controlled,
    Document.control_category,
    Document.control_code,
    Document.version_count,
    Document.updated_at,
    Document.withdrawn_at,
)


def _filtered(principal: Principal, filters: DocumentFilters, dialect: str) -> Select[Any]:
    query = select(*_LISTED_COLUMNS).where(permissions.readable_documents(principal), Document.withdrawn_at.is_(None))
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
        matches = search.matching(principal, filters.query, dialect)
        query = query.join(matches, matches.c.document_id == Document.id)
    return query


def list_documents(
    session: Session, principal: Principal, filters: DocumentFilters, page: PageRequest, *, releases: bool = True
) -> Paginated[DocumentRow]:
    """The documents the principal may read (withdrawn ones left out), newest change first: one statement, the
    tags (and with `releases`, the release lists, which the API shows and the pages do not) aggregated in it."""
    if filters.query:
        search.prepare(session)
    query = _filtered(principal, filters, session.get_bind().dialect.name)
    # The page first, then its rows' children around it: the aggregates run for the page's rows only.
    rows = limited(query, page, (Document.updated_at.desc(), Document.id.desc())).subquery("listed")
    tags = select(json_array_agg(DocumentTag.tag)).where(DocumentTag.document_id == rows.c.id)
    children = [tags.scalar_subquery().label("tags")]
    if releases:
        released = select(json_array_agg(DocumentRelease.country_code))
        children.append(released.where(DocumentRelease.document_id == rows.c.id).scalar_subquery().label("releases"))
    statement = select(rows, *children).order_by(rows.c.updated_at.desc(), rows.c.id.desc())
    found = page_of(session, session.execute(statement).all(), query, page)
    return found.map(_document_row)


def _document_row(row: Row[Any]) -> DocumentRow:
    values = row._asdict()
    return DocumentRow(
        **{column.key: values[column.key] for column in _LISTED_COLUMNS},
        tag_names=tuple(sorted(values["tags"] or [])),
        release_countries=tuple(sorted(values.get("releases") or [])),
    )


def get_document(session: Session, principal: Principal, document_id: int) -> Document:
    """One document with its group, tags, release list and versions; 404 when it does not exist or the principal
    may not read it (the same answer, so its existence is not revealed)."""
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
    raise NotFound(N_("this document has no version %(number)d"), number=number)


# Export-control screening ----------------------------------------------------------------------------------------


def screening_of(session: Session, principal: Principal, document: Document) -> list[dict[str, Any]]:
    """The screening terms found in an unmarked document's newest version with findings: a warning for those who
    may read its content (the terms come from the text). A marked document needs no warning."""
    if document.controlled or not permissions.rules.allows(principal, DocumentAction.read_content, document):
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


def screening_matches(session: Session, principal: Principal, page: PageRequest) -> Paginated[ScreeningRow]:
    """For the secretariat: unmarked documents whose text matched the screening list, newest finding first."""
    if not permissions.can_review_screening(principal):
        raise Forbidden(permissions.SCREENING_REFUSED)
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
    newest_first = (ScreeningFinding.screened_at.desc(), ScreeningFinding.version_id.desc())
    # paginate() is annotated for one-column selects (Select[Any]); rows of several columns page the same way.
    found = paginate(session, cast("Select[Any]", query), page, order_by=newest_first, scalars=False)
    return found.map(lambda row: ScreeningRow(*row))
