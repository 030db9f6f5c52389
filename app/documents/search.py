"""Text search over documents (the lists' `q=`): which documents contain a piece of text, through an index.

A document matches when its title or description contains the text (metadata: searched in every document the
caller may read) or when the extracted text of one of its versions does (content: searched only in documents whose
content the caller may read, a filter applied inside the text subquery, before any match is taken).

- SQLite: FTS5 tables with the `trigram` tokenizer, `document_fts` (title, description) and `version_text_fts`
  (content), external-content tables kept in step with their rows by triggers (migration 0007), so every writer,
  the ORM or a bulk insert, updates them. A phrase query of trigrams finds any substring, Japanese text included.
- PostgreSQL: `pg_trgm` GIN indexes on the same three columns, which `ILIKE '%text%'` uses.
- Text shorter than three characters has no trigram: both scan, as `ILIKE` (the result is the same, only slower).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, column, select, table, union
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.documents import permissions
from app.documents.models import Document, DocumentVersion, VersionText

MIN_INDEXED = 3  # a trigram index can only look up text of at least one trigram

# Objects the migration creates outside the SQLAlchemy metadata; Alembic's comparison leaves them alone.
FTS_TABLES = ("document_fts", "version_text_fts")  # and their FTS5 shadow tables (document_fts_data, ...)
TRIGRAM_INDEXES = frozenset({"ix_document_title_trgm", "ix_document_description_trgm", "ix_version_text_content_trgm"})

_document_fts = table("document_fts", column("rowid"), column("document_fts"))
_version_text_fts = table("version_text_fts", column("rowid"), column("version_text_fts"))


def outside_metadata(name: str | None, type_: str) -> bool:
    """Whether a database object is one of the search index's own (for Alembic's `include_name`)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == fts or name.startswith(f"{fts}_") for fts in FTS_TABLES)
    return type_ == "index" and name in TRIGRAM_INDEXES


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic `include_name` hook: compare everything but the search index's objects."""
    return not outside_metadata(name, type_)


def matching(principal: Principal, text: str, dialect: str) -> Subquery:
    """The ids (column `document_id`, each once) of the documents that contain `text` in their metadata, or (for
    content readers only) in a version's extracted text; to be joined to the listed documents, so the database
    starts from the few matches rather than from every document. `dialect`: "sqlite" or "postgresql"."""
    # A NUL can be in no stored text; FTS5 would read it as the end of its query, PostgreSQL refuses it.
    text = text.replace("\x00", "").strip()
    if len(text) >= MIN_INDEXED and dialect == "sqlite":
        phrase = _fts_phrase(text)
        in_metadata = select(_document_fts.c.rowid.label("document_id")).where(
            _document_fts.c.document_fts.match(phrase)
        )
        text_versions = select(_version_text_fts.c.rowid).where(_version_text_fts.c.version_text_fts.match(phrase))
        return union(in_metadata, _content_readable(principal, DocumentVersion.id.in_(text_versions))).subquery()
    pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    text_versions = select(VersionText.version_id).where(VersionText.content.ilike(pattern, escape="\\"))
    # One select per column, so that each uses its own GIN index (an OR of the two would scan every document).
    return union(
        select(Document.id.label("document_id")).where(Document.title.ilike(pattern, escape="\\")),
        select(Document.id).where(Document.description.ilike(pattern, escape="\\")),
        _content_readable(principal, DocumentVersion.id.in_(text_versions)),
    ).subquery()


def prepare(session: Session) -> None:
    """Before a search on PostgreSQL, in the request's transaction only: the planner's default random_page_cost
    (4, for spinning disks), with ILIKE's per-row cost underestimated, makes a scan of every text look cheaper
    than the trigram index (measured: 135 ms against 9 ms at 20,000 texts). 1.1 is the usual value for SSDs; a
    database configured so already (README) is unchanged by it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql("SET LOCAL random_page_cost = 1.1"))


def _content_readable(principal: Principal, versions: ColumnElement[bool]) -> Select[Any]:
    """The documents of the matching versions, among those whose content the principal may read: the access
    filter is part of the text subquery, so no unreadable document's text is ever matched."""
    return (
        select(DocumentVersion.document_id)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(
            versions,
            permissions.readable_documents(principal),
            permissions.content_readable_documents(principal),
        )
    )


def _fts_phrase(text: str) -> str:
    """The FTS5 query for a substring: one quoted phrase (its quotes doubled), whose trigrams must follow in order,
    so operators and punctuation in the text are only text."""
    return '"' + text.replace('"', '""') + '"'
