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
from app.notifications.models import Notification, NotificationPreference
from app.users.models import IdentityLink, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Country",
    "Document",
    "DocumentRelease",
    "DocumentTag",
    "DocumentVersion",
    "ExtractionJob",
    "IdentityLink",
    "Membership",
    "Notification",
    "NotificationPreference",
    "User",
    "VersionText",
    "WorkingGroup",
]
