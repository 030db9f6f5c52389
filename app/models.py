"""Imports every domain's models so that Alembic and the metadata see all tables."""

from app.audit.models import AuditEvent
from app.auth.models import ApiToken
from app.countries.models import Country
from app.documents.models import (
    Document,
    DocumentRelease,
    DocumentTag,
    DocumentVersion,
    ExtractionJob,
    VersionText,
)
from app.groups.models import Membership, WorkingGroup
from app.meetings.models import AgendaDocument, AgendaItem, AgendaView, Attendance, Meeting
from app.users.models import IdentityLink, User

__all__ = [
    "AgendaDocument",
    "AgendaItem",
    "AgendaView",
    "ApiToken",
    "Attendance",
    "AuditEvent",
    "Country",
    "Document",
    "DocumentRelease",
    "DocumentTag",
    "DocumentVersion",
    "ExtractionJob",
    "IdentityLink",
    "Meeting",
    "Membership",
    "User",
    "VersionText",
    "WorkingGroup",
]
