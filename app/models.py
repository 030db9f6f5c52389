"""Imports every domain's models so that Alembic and the metadata see all tables, and the flush listeners that
keep the data version (app/core/data_version.py) and access versions (app/auth/access_version.py)."""

from app.audit.models import AuditEvent
from app.auth import access_version  # noqa: F401  (listeners)
from app.auth.models import ApiToken
from app.core.data_version import DataVersion
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
from app.meetings.feed_models import CalendarFeed
from app.meetings.models import (
    AgendaDocument,
    AgendaItem,
    AgendaView,
    Attendance,
    Meeting,
    MinutesPublication,
    MinutesRevision,
)
from app.notifications.models import Notification, NotificationPreference
from app.users.models import IdentityLink, User
from app.web.page_cache import PageCacheEntry

__all__ = [
    "AgendaDocument",
    "AgendaItem",
    "AgendaView",
    "ApiToken",
    "Attendance",
    "AuditEvent",
    "CalendarFeed",
    "Country",
    "DataVersion",
    "Document",
    "DocumentRelease",
    "DocumentTag",
    "DocumentVersion",
    "ExtractionJob",
    "IdentityLink",
    "Meeting",
    "Membership",
    "MinutesPublication",
    "MinutesRevision",
    "Notification",
    "NotificationPreference",
    "PageCacheEntry",
    "User",
    "VersionText",
    "WorkingGroup",
]
